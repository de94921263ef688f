#!/usr/bin/python3
"""Writes plugins/summarize/kw_demonym.h: each adjective of WordNet that
pertains to a place ("Russian" to "Russia", "Turkish" to "Turkey"), with
the place's name, so that the keyphrases do not give a place and its
adjective as two phrases (a near-duplicate, like "U.S." and "United
States"). The summarize plugin's keyphrase output reads it.

Source: Debian's wordnet-base, /usr/share/wordnet/data.adj (the pertainym
pointers, "\\", each from one word of an adjective synset to one word of a
noun synset) and data.noun (the target: an instance noun, "@i", of the
lexicographer file noun.location, 15). Both words capitalised, each a
single word. Deterministic: the same WordNet gives the same file byte for
byte.
Usage: python3 tools/gen-demonyms.py > plugins/summarize/kw_demonym.h
"""
import re
import sys

WN = "/usr/share/wordnet"


def synsets(path):
    """offset -> (lexfile, words, pointers) of a WordNet data file."""
    out = {}
    for line in open(path, encoding="latin-1"):
        if line.startswith(" "):
            continue
        f = line.split(" ")
        nw = int(f[3], 16)
        words = [re.sub(r"\(.*\)$", "", w) for w in f[4:4 + 2 * nw:2]]
        at = 4 + 2 * nw
        ptrs = [f[at + 1 + 4 * k:at + 5 + 4 * k] for k in range(int(f[at]))]
        out[f[0]] = (int(f[1]), words, ptrs)
    return out


nouns = synsets(f"{WN}/data.noun")
pairs = set()
for off, (lex, words, ptrs) in synsets(f"{WN}/data.adj").items():
    for sym, target, pos, st in ptrs:
        if sym != "\\" or pos != "n" or target not in nouns:
            continue
        tlex, twords, tptrs = nouns[target]
        if tlex != 15 or not any(p[0] == "@i" for p in tptrs):
            continue
        src, dst = int(st[:2], 16), int(st[2:], 16)
        if src == 0 or dst == 0:
            continue  # a semantic pointer: not word to word
        a, n = words[src - 1], twords[dst - 1]
        if a[:1].isupper() and n[:1].isupper() and "_" not in a + n and a != n:
            pairs.add((a, n))

rows = sorted(pairs)
out = sys.stdout
out.write("/* Written by tools/gen-demonyms.py from WordNet (wordnet-base); do not\n"
          " * edit. Each adjective that pertains to a place, with the place's\n"
          " * name; sorted by the adjective (strcmp). */\n")
out.write("#ifndef PL_KW_DEMONYM_H\n#define PL_KW_DEMONYM_H\n\n")
out.write("static const struct {\n    const char *adj, *place;\n} pl_kw_demonym[] = {\n")
for a, n in rows:
    out.write(f'    {{ "{a}", "{n}" }},\n')
out.write("};\n\n#endif\n")
print(f"gen-demonyms: {len(rows)} pairs", file=sys.stderr)
