#!/usr/bin/env bash
# Trains the summarize plugin's keyphrase scorer and writes its tables
# (then rebuild): plugins/summarize/kw_df.h, the document frequencies of
# the summarizer's terms over the unlabeled news text (read, never
# copied), and keyword_weights.h and kw_prior.h, the scorer and the
# keyphraseness table fitted on the 500N-KPCrowd dev half (unpacked by
# tools/extract-keyphrases.sh), after kw_noun.h, WordNet's noun shares
# of the news vocabulary's words (tools/gen-noun-lexicon.py; wordnet-base),
# and kw_demonym.h, WordNet's adjectives of places with the places'
# names (tools/gen-demonyms.py), which the output's near-duplicate test reads.
# Prints the held-out 5-fold figures by story. Deterministic; about a
# minute.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
news=${PL_DATA_DIR:-$top/../shared/data}/unlabeled/news-lowercased.txt.xz
[ -r "$news" ] || { echo "train-keywords: $news is missing (set PL_DATA_DIR)" >&2; exit 1; }
"$top/tools/deps.sh"
# gen-noun-lexicon.py reads WordNet (Debian wordnet-base), which only the
# trainer needs: the plugin holds the table it writes.
if [ ! -r /usr/share/wordnet/index.noun ]; then
  echo "train-keywords: installing wordnet-base" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wordnet-base
fi
dev=$("$top/tools/extract-keyphrases.sh")
# Written beside and moved in, so that a failed run leaves the committed
# table as it was.
noun=$top/plugins/summarize/kw_noun.h
xz -dc "$news" | python3 "$top/tools/gen-noun-lexicon.py" >"$noun.tmp" || { rm -f "$noun.tmp"; exit 1; }
mv "$noun.tmp" "$noun"
demonym=$top/plugins/summarize/kw_demonym.h
python3 "$top/tools/gen-demonyms.py" >"$demonym.tmp" || { rm -f "$demonym.tmp"; exit 1; }
mv "$demonym.tmp" "$demonym"
cmake -S "$top" -B "$top/build" >/dev/null
cmake --build "$top/build" -j2 --target pl_train_keywords >/dev/null
xz -dc "$news" | "$top/build/bin/pl_train_keywords" --df "$top/plugins/summarize/kw_df.h"
# The scorer's features read the table, so the plugin is rebuilt with it
# before the scorer is fitted.
cmake --build "$top/build" -j2 >/dev/null
"$top/build/bin/pl_train_keywords" --dir "$dev" --folds 5 \
  --out "$top/plugins/summarize/keyword_weights.h" --prior "$top/plugins/summarize/kw_prior.h"
cmake --build "$top/build" -j2 >/dev/null
