#!/usr/bin/env bash
# Trains the entities plugin's name tagger and writes plugins/entities/ner.model.
#   tools/train-ner.sh                 # clusters (cached) + tagger, ~4 min on 2 cores
#   tools/train-ner.sh --ablation      # also: dev F1 with each feature group left out
#   tools/train-ner.sh --cv [FOLDS]    # instead: 5-fold cross-validation on train.txt grouped
#                                      # by document (document i in fold i % 5), the same
#                                      # pipeline as the model; FOLDS a subset ("0,1"); no model
# Data: ../shared/data (CoNLL-2003 train/dev, unlabeled news). Deterministic:
# the same data gives the same model file, byte for byte.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
data=${PL_DATA_DIR:-$top/../shared/data}
build=$top/build
train=$data/conll2003/train.txt
dev=$data/conll2003/dev.txt
unlabeled=$data/unlabeled/news-lowercased.txt.xz
for f in "$train" "$dev" "$unlabeled"; do
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

args=(--train "$train" --dev "$dev" --clusters "$clusters" --gazetteer "$top/plugins/entities/gazetteer.tsv")
if [ "${1:-}" = "--cv" ]; then
  # Two folds at a time at most: the machine is shared; the figures do not
  # depend on how many run at once.
  folds=()
  [ -n "${2:-}" ] && folds=(--cv-folds "$2")
  nice -n 5 "$build/bin/pl_train_ner" "${args[@]}" --cv 5 "${folds[@]}" --jobs 2
  exit
fi
"$build/bin/pl_train_ner" "${args[@]}" --out "$top/plugins/entities/ner.model"
ls -l "$top/plugins/entities/ner.model"

if [ "${1:-}" = "--ablation" ]; then
  echo "feature group left out -> dev F1 (stage 2)"
  for g in word affix shape cluster gazetteer doc stage2; do
    f1=$("$build/bin/pl_train_ner" "${args[@]}" --without "$g" --out "$build/ner-ablation.model" 2>&1 |
         grep -E "^stage [12] dev" | tail -1 | sed 's/.*F1 \([0-9.]*\).*/\1/')
    echo "$g $f1"
  done
  rm -f "$build/ner-ablation.model"
fi
