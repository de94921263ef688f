#!/usr/bin/env bash
# Trains the summarize plugin's sentence scorer on CNN/DailyMail dev and
# writes plugins/summarize/weights.h (then rebuild). Prints the held-out
# 5-fold ROUGE next to lead-3's. Deterministic; ~30 s.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
data=${PL_DATA_DIR:-$top/../shared/data}/cnndm/dev.jsonl
[ -r "$data" ] || { echo "train-summary: $data is missing (set PL_DATA_DIR)" >&2; exit 1; }
"$top/tools/deps.sh"
cmake -S "$top" -B "$top/build" >/dev/null
cmake --build "$top/build" -j"$(nproc)" --target pl_train_summary >/dev/null
"$top/build/bin/pl_train_summary" --data "$data" --out "$top/plugins/summarize/weights.h"
cmake --build "$top/build" -j"$(nproc)" >/dev/null
