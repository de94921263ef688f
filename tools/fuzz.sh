#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each for a bounded time
# (PL_FUZZ_SECONDS, default 60). New inputs go to a scratch corpus under the
# build folder; the committed seed corpora are only read. A crash fails the
# script and leaves the input in build-fuzz/artifacts/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${PL_FUZZ_SECONDS:-60}
build="$top/build-fuzz"
CC=clang cmake -S "$top" -B "$build" -DPL_FUZZ=ON -DPL_TESTS=OFF -DPL_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_clean fuzz_entities fuzz_summarize fuzz_config fuzz_wire fuzz_replay fuzz_docpatch
mkdir -p "$build/artifacts"
seeds() { # <harness> -> read-only seed corpora
  case $1 in
    clean) echo "$top/tests/fixtures/seeds $top/tests/fixtures/extraction/html/eval $top/tests/fuzz/corpus/clean" ;;
    entities|summarize) echo "$top/tests/fixtures/seeds" ;;
    config) echo "$top/tests/fuzz/corpus/config" ;;
    wire) echo "$top/tests/fuzz/corpus/wire" ;;
    replay) echo "$top/tests/fuzz/corpus/replay" ;;
    docpatch) echo "$top/tests/fuzz/corpus/docpatch" ;;
  esac
}
for h in clean entities summarize config wire replay docpatch; do
  scratch="$build/corpus/$h"
  mkdir -p "$scratch"
  echo "fuzz_$h: ${secs} s"
  ASAN_OPTIONS=detect_leaks=1 "$build/bin/fuzz_$h" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$h-" \
    "$scratch" $(seeds "$h") > "$build/fuzz-$h.log" 2>&1 || true
  grep -E "^stat::number_of_executed_units|^Done|ERROR|SUMMARY" "$build/fuzz-$h.log" || true
  if ls "$build/artifacts/$h-"* >/dev/null 2>&1 || grep -q "SUMMARY:" "$build/fuzz-$h.log"; then
    echo "fuzz_$h found a crash: $(ls "$build/artifacts/$h-"*)" >&2
    exit 1
  fi
  # A harness that stops before its time without a crash (its plugin
  # refused to start, say) has fuzzed nothing: libFuzzer's "Done" line is
  # missing.
  if ! grep -q "^Done [0-9]* runs" "$build/fuzz-$h.log"; then
    echo "fuzz_$h did not run its ${secs} s; its log ends:" >&2
    tail -n 5 "$build/fuzz-$h.log" >&2
    exit 1
  fi
done
