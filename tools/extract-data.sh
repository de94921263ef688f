#!/usr/bin/env bash
# Unpacks trafilatura's evaluation set (../shared/data/extraction) into
# build/extraction/ for `pressline eval extract` and extract_bench.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=${PL_DATA_DIR:-$top/../shared/data}/extraction/trafilatura-eval.tar.xz
out=$top/build/extraction
[ -r "$src" ] || { echo "extract-data: $src is missing (set PL_DATA_DIR)" >&2; exit 1; }
if [ ! -f "$out/evaldata.json" ]; then
  mkdir -p "$out"
  tar -xJf "$src" -C "$out"
fi
echo "$out/evaldata.json"
