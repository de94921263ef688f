#!/usr/bin/env python3
"""Cased English text for the name tagger's cased word clusters
(pl_train_ner --cased-clusters; README, "The name tagger").

Writes one document a line, tokenized roughly as the entities plugin's
tokenizer splits (clitics "'s" and "n't" apart, hyphenated words and dotted
abbreviations kept whole, other punctuation alone), from:
  --conll FILE      CoNLL-2003 train.txt: each document's own tokens
  --articles FILE   CNN/DailyMail jsonl: each "article"
  --pages FILE      `pressline eval extract ... --predict` rows: each page's
                    "text" as the clean stage extracts it, English only
                    (more English than German function words)
Used by tools/train-ner.sh with PL_NER_CASED_CLUSTERS=1. Deterministic.
"""
import argparse
import json
import re
import sys

TOKEN = re.compile(
    r"(?:[A-Za-z]\.){2,}"  # U.S., U.N.
    r"|n't|'s|'re|'ve|'ll|'d|'m"
    r"|[^\W_]+(?:[-'][^\W_]+)*(?=n't)"
    r"|[^\W_]+(?:[-.,/][^\W_]+)*"
    r"|\S",
    re.UNICODE,
)
EN = set("the and of to in is that for with was on as are by this be from at have it".split())
DE = set("der die und das den ist nicht mit von zu sich auf dem ein eine für auch".split())


def tokens(text):
    return TOKEN.findall(text)


def english(text):
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    en = sum(w in EN for w in words)
    de = sum(w in DE for w in words)
    return en > 2 * de and en >= 20


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conll", action="append", default=[])
    ap.add_argument("--articles", action="append", default=[])
    ap.add_argument("--pages", action="append", default=[])
    a = ap.parse_args()
    out = sys.stdout
    words = 0
    for path in a.conll:
        doc = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("-DOCSTART-"):
                    if doc:
                        out.write(" ".join(doc) + "\n")
                        words += len(doc)
                    doc = []
                elif line.strip():
                    doc.append(line.split(" ", 1)[0])
        if doc:
            out.write(" ".join(doc) + "\n")
            words += len(doc)
    for path in a.articles:
        with open(path, encoding="utf-8") as f:
            for line in f:
                t = tokens(json.loads(line)["article"])
                out.write(" ".join(t) + "\n")
                words += len(t)
    for path in a.pages:
        with open(path, encoding="utf-8") as f:
            for line in f:
                text = json.loads(line).get("text", "")
                if not english(text):
                    continue
                t = tokens(text)
                out.write(" ".join(t) + "\n")
                words += len(t)
    print(f"cased-text: {words} words", file=sys.stderr)


if __name__ == "__main__":
    main()
