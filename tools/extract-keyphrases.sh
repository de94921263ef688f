#!/usr/bin/env bash
# Unpacks the dev half of 500N-KPCrowd (../shared/data/keyphrases) into
# build/keyphrases/ for `pressline eval keywords`, and prints the folder
# (scripts read it). The data stay out of the repository; the other half
# of the set is the held-out judge and is never unpacked here.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=${PL_DATA_DIR:-$top/../shared/data}/keyphrases/500N-KPCrowd-dev.tar.xz
out=$top/build/keyphrases
[ -r "$src" ] || { echo "extract-keyphrases: $src is missing (set PL_DATA_DIR)" >&2; exit 1; }
# Into a temporary folder first, so that an interrupted run is redone
# rather than left half there.
if [ ! -d "$out/500N-KPCrowd-dev/keys" ]; then
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  tar -xJf "$src" -C "$out.tmp"
  mkdir -p "$out"
  rm -rf "$out/500N-KPCrowd-dev"
  mv "$out.tmp/500N-KPCrowd-dev" "$out/500N-KPCrowd-dev"
  rm -rf "$out.tmp"
fi
echo "$out/500N-KPCrowd-dev"
