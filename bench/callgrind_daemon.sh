#!/bin/bash
# Instructions of the daemon pl_bench starts, thread by thread, counted by
# valgrind's callgrind: figures that do not move with the load of a shared
# machine (the daemon runs 30-50 times slower under it, so only counts, not
# times, mean anything).
#
#   bench/callgrind_daemon.sh BUILD_DIR OUT_DIR PL_BENCH_ARGS...
#   e.g. bench/callgrind_daemon.sh build-rel /tmp/cg --only floor --count 1000
#
# Runs BUILD_DIR/bin/pl_bench with the arguments (use --only), with the
# daemon under callgrind (--separate-threads: OUT_DIR/cg.out.<pid>-<thread>,
# thread 01 the main loop), then prints each thread's total and its
# instructions per article; for the main loop also uv_run's inclusive
# count (the loop without the start-up's configuration and plugin loading).
# Read a thread with callgrind_annotate. Note: valgrind's CPU has no SHA
# extensions, so libcrypto's SHA-256 runs its generic code there.
set -u
build=${1:?usage: callgrind_daemon.sh BUILD_DIR OUT_DIR PL_BENCH_ARGS...}
out=${2:?usage: callgrind_daemon.sh BUILD_DIR OUT_DIR PL_BENCH_ARGS...}
shift 2
count=2000
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--count" ] && count=${args[$((i + 1))]}
done
build=$(cd "$build" && pwd)
mkdir -p "$out/bin"
out=$(cd "$out" && pwd)
# pl_bench starts $PL_BUILD_DIR/bin/presslined: here a script that runs the
# real one under callgrind (which passes SIGTERM on and writes at the exit).
for d in bench lib plugins tests; do [ -e "$build/$d" ] && ln -sfn "$build/$d" "$out/$d"; done
cat >"$out/bin/presslined" <<EOS
#!/bin/sh
exec valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=$out/cg.out.%p "$build/bin/presslined" "\$@" 2>"$out/valgrind.err"
EOS
chmod +x "$out/bin/presslined"
PL_BUILD_DIR=$out "$build/bin/pl_bench" "$@" | grep -v '^kept '
for f in "$out"/cg.out.*-*; do
  [ -e "$f" ] || continue
  total=$(awk '/^summary:/ { print $2 }' "$f")
  line="$(basename "$f") $total instructions, $((total / count)) per article"
  case "$f" in
  *-01)
    loop=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null | awk '/:uv_run / { gsub(",", "", $1); print $1; exit }')
    line="$line (main loop; uv_run ${loop:-?}, $((${loop:-0} / count)) per article)"
    ;;
  esac
  echo "$line"
done
