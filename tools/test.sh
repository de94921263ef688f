#!/usr/bin/env bash
# Command 2: install what is missing, check the house style (tools/check-style.sh:
# clang-format layout, function lengths), build with warnings as errors, run every
# test with ctest; then build again with AddressSanitizer and
# UndefinedBehaviorSanitizer and run the suite under them; then run each
# libFuzzer harness for PL_FUZZ_SECONDS (default 60; 0 skips).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/deps.sh"
"$top/tools/check-style.sh"
jobs=$(nproc)
run() { # <build dir> <cmake args...>
  local dir=$1; shift
  cmake -S "$top" -B "$dir" -DPL_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure --timeout 900)
}
run "$top/build-test"
if [ "${PL_SKIP_SANITIZERS:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run "$top/build-asan" -DPL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
if [ "${PL_FUZZ_SECONDS:-60}" != 0 ]; then
  "$top/tools/fuzz.sh"
fi
