#!/usr/bin/env bash
# Trains the clean stage's block classifiers (eval/train_blocks.c) on
# trafilatura's evaluation set and Mozilla Readability's test pages
# (../shared/data/extraction), the one for text dumps on w3m's dumps of
# trafilatura's pages, and writes both to plugins/clean/blocks.model.
#   tools/train-blocks.sh                 the model the plugin ships
#   tools/train-blocks.sh --cv N DIR      DIR/fold-0.model .. DIR/fold-(N-1).model,
#                                         each trained without its fold (sites
#                                         grouped, eval/folds.h), and DIR/blocks.model
#                                         trained on every page
# PL_BUILD_DIR names the build (default build/). Deterministic: the same data
# gives the same bytes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${PL_BUILD_DIR:-$top/build}
bin=$build/bin/pl_train_blocks
[ -x "$bin" ] || { echo "train-blocks: build $bin first" >&2; exit 1; }
# --dumps: the w3m dumps of trafilatura's pages train the model for text dumps.
evaldata=$("$top/tools/extract-data.sh" --dumps)
ext=$(dirname "$evaldata")
# extract-data.sh unpacks the Readability pages under build/extraction/readability.
rd=$ext/readability
[ -d "$rd" ] || { echo "train-blocks: $rd is missing (tools/extract-data.sh)" >&2; exit 1; }
# The settings chosen by site-grouped cross-validation (README, clean stage).
opts=(--trafilatura "$evaldata" --readability "$rd" --trees 300 --depth 2 --shrink 0.1 --rd-weight 6 --threshold 0.5 --add 0.7 --no-hash --stack --stack-trees 300 --stack-depth 2
      --dumps "$ext/dumps" --dump-threshold 0.5 --dump-add 0.6 --dump-stack)
if [ "${1:-}" = "--cv" ]; then
  n=${2:?usage: tools/train-blocks.sh --cv N DIR}; dir=${3:?usage: tools/train-blocks.sh --cv N DIR}
  mkdir -p "$dir"
  for ((k = 0; k < n; k++)); do
    nice -n 5 "$bin" "${opts[@]}" --cv "$n" --fold "$k" --out "$dir/fold-$k.model" 2>&1 | grep '^pl_train_blocks'
  done
  nice -n 5 "$bin" "${opts[@]}" --out "$dir/blocks.model" 2>&1 | grep '^pl_train_blocks'
  exit 0
fi
nice -n 5 "$bin" "${opts[@]}" --out "$top/plugins/clean/blocks.model" 2>&1 | grep '^pl_train_blocks'
echo "$top/plugins/clean/blocks.model"
