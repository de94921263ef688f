#!/usr/bin/env bash
# Unpacks trafilatura's evaluation set (../shared/data/extraction) into
# build/extraction/ for `pressline eval extract` and extract_bench, and
# Mozilla Readability's test pages into build/extraction/readability/<name>/
# for `pressline eval extract --readability`; --dumps also writes text dumps
# of the trafilatura pages to build/extraction/dumps. Prints evaldata.json's
# path (scripts read it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=${PL_DATA_DIR:-$top/../shared/data}/extraction/trafilatura-eval.tar.xz
out=$top/build/extraction
[ -r "$src" ] || { echo "extract-data: $src is missing (set PL_DATA_DIR)" >&2; exit 1; }
if [ ! -f "$out/evaldata.json" ]; then
  mkdir -p "$out"
  tar -xJf "$src" -C "$out"
fi
# The Readability pages unpack beside it (into a temporary folder first, so
# that an interrupted run is redone rather than left half there).
rsrc=${PL_DATA_DIR:-$top/../shared/data}/extraction/readability-test-pages.tar.xz
if [ -r "$rsrc" ] && [ ! -d "$out/readability" ]; then
  rm -rf "$out/readability.tmp"
  mkdir -p "$out/readability.tmp"
  tar -xJf "$rsrc" -C "$out/readability.tmp" --strip-components=1
  mv "$out/readability.tmp" "$out/readability"
elif [ ! -r "$rsrc" ]; then
  echo "extract-data: $rsrc is missing; the Readability pages are not unpacked" >&2
fi
# --dumps: also the pages as text dumps (w3m -dump, 100 columns), for
# `pressline eval extract build/extraction/evaldata.json --pages build/extraction/dumps`.
if [ "${1:-}" = "--dumps" ] && [ ! -d "$out/dumps" ]; then
  command -v w3m > /dev/null || { echo "extract-data: --dumps needs w3m (tools/deps.sh)" >&2; exit 1; }
  mkdir -p "$out/dumps.tmp"
  for f in "$out"/html/eval/* "$out"/html/cache/*; do
    timeout 10 w3m -dump -T text/html -cols 100 -O UTF-8 "$f" > "$out/dumps.tmp/${f##*/}.txt" 2>/dev/null || true
  done
  mv "$out/dumps.tmp" "$out/dumps"
fi
echo "$out/evaldata.json"
