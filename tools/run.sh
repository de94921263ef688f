#!/usr/bin/env bash
# Command 1: install what is missing, build, and run presslined in the
# foreground on its built-in default configuration (inbox ./inbox, results on
# tcp://127.0.0.1:5556). Extra arguments go to presslined, e.g. --config FILE.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release -DPL_TESTS=OFF >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null
exec "$top/build/bin/presslined" "$@"
