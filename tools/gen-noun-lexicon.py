#!/usr/bin/python3
"""Writes plugins/summarize/kw_noun.h: for each word of the unlabeled news
vocabulary that WordNet knows, the share of its tagged senses that are
nouns, the summarize plugin's stand-in for a part-of-speech tagger.

Source: Debian's wordnet-base (/usr/share/wordnet): index.noun, index.verb,
index.adj, index.adv (each lemma's tagsense_cnt, the number of its senses
tagged in the semantic concordance, or its synset_cnt when none is
tagged) and noun.exc, verb.exc, adj.exc, adv.exc with WordNet's own
detachment rules (morphy(7WN): "ies" -> "y", "ing" -> "", ...) for
inflected forms. A word's count in a part of speech is that of the word
itself when it is a lemma there ("meeting" the noun), else the largest of
its base forms' ("addressing" -> the verb "address"). Share = nouns / all
parts of speech, in percent. A word WordNet does not hold is left out
(the plugin reads it as unknown).

Only words of letters (and inner hyphens) seen in at least --min-count
articles of the news text (one article a line, lower-cased) and whose
noun share is below --below percent are kept, so the table stays small:
the plugin asks only whether a word is rarely a noun. The text is read, never copied. Deterministic:
the same inputs give the same file byte for byte.
Usage: xz -dc ../shared/data/unlabeled/news-lowercased.txt.xz |
         python3 tools/gen-noun-lexicon.py [--min-count N] [--below PERCENT] > plugins/summarize/kw_noun.h
"""
import argparse, re, sys

WN = "/usr/share/wordnet"
POS = ("noun", "verb", "adj", "adv")
RULES = {
    "noun": [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
             ("shes", "sh"), ("men", "man"), ("ies", "y")],
    "verb": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""),
             ("ing", "e"), ("ing", "")],
    "adj": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "adv": [],
}

ap = argparse.ArgumentParser()
ap.add_argument("--min-count", type=int, default=5)
ap.add_argument("--below", type=int, default=50)
args = ap.parse_args()


def read_index(pos):
    counts = {}
    with open(f"{WN}/index.{pos}", encoding="latin-1") as f:
        for line in f:
            if line.startswith(" "):
                continue
            p = line.split()
            synsets, nptr = int(p[2]), int(p[3])
            tagged = int(p[5 + nptr])
            counts[p[0]] = tagged if tagged > 0 else synsets * 0.5
    return counts


def read_exc(pos):
    exc = {}
    with open(f"{WN}/{pos}.exc", encoding="latin-1") as f:
        for line in f:
            p = line.split()
            exc.setdefault(p[0], []).extend(p[1:])
    return exc


index = {p: read_index(p) for p in POS}
exc = {p: read_exc(p) for p in POS}


def count(word, pos):
    idx = index[pos]
    if word in idx:
        return idx[word]
    bases = list(exc[pos].get(word, []))
    for suf, rep in RULES[pos]:
        if word.endswith(suf) and len(word) > len(suf) + 1:
            bases.append(word[: len(word) - len(suf)] + rep)
    return max((idx[b] for b in bases if b in idx), default=0)


word_re = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
df = {}
for line in sys.stdin:
    for w in set(line.split()):
        if word_re.match(w):
            df[w] = df.get(w, 0) + 1

rows = []
for w in sorted(df):
    if df[w] < args.min_count:
        continue
    c = [count(w, p) for p in POS]
    total = sum(c)
    if total <= 0:
        continue
    share = int(round(100 * c[0] / total))
    if share < args.below:
        rows.append((w, share))

out = sys.stdout
out.write("/* Written by tools/gen-noun-lexicon.py from WordNet (wordnet-base) and the\n"
          " * unlabeled news vocabulary; do not edit. Each word's share of tagged\n"
          f" * senses that are nouns, in percent, for the words below {args.below}%;\n"
          " * sorted (strcmp). */\n")
out.write("#ifndef PL_KW_NOUN_H\n#define PL_KW_NOUN_H\n\n#include <stdint.h>\n\n")
out.write("static const struct {\n    const char *w;\n    uint8_t noun;\n} pl_kw_noun[] = {\n")
for w, s in rows:
    out.write(f'    {{ "{w}", {s} }},\n')
out.write("};\n\n#endif\n")
print(f"gen-noun-lexicon: {len(rows)} words", file=sys.stderr)
