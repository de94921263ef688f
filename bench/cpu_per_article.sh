#!/bin/bash
# CPU per article of the daemon pl_bench starts, thread by thread.
#
#   bench/cpu_per_article.sh BUILD_DIR PL_BENCH_ARGS...
#   e.g. bench/cpu_per_article.sh build-rel --count 2000 --only floor
#
# Runs BUILD_DIR/bin/pl_bench with the arguments (one run: use --only),
# finds the presslined it starts and reads every thread's user+system CPU
# from /proc every 20 ms until the daemon exits. Prints pl_bench's own
# lines, then each thread's CPU (user and system) in ms and µs per article (its last reading:
# up to 20 ms of a thread's end may be left out), and the daemon's total.
# The counts are in clock ticks (10 ms here), so a thread's figure is
# +-10 ms. Threads are named by their comm and order of creation
# (presslined's stage workers start in stage order after the main thread).
set -u
build=${1:?usage: cpu_per_article.sh BUILD_DIR PL_BENCH_ARGS...}
shift
count=2000
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--count" ] && count=${args[$((i + 1))]}
done
out=$(mktemp)
trap 'rm -f "$out" "$out.cpu"' EXIT
"$build/bin/pl_bench" "$@" >"$out" 2>&1 &
bench=$!
pid=""
deadline=$((SECONDS + 60))
while [ -z "$pid" ] && kill -0 "$bench" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
  pid=$(pgrep -P "$bench" -x presslined | head -1)
  [ -z "$pid" ] && sleep 0.01
done
[ -n "$pid" ] || { cat "$out"; echo "cpu_per_article: no presslined seen" >&2; exit 1; }
tck=$(getconf CLK_TCK)
: >"$out.cpu"
while [ -d "/proc/$pid/task" ]; do
  snap=""
  for t in /proc/"$pid"/task/*; do
    # comm may hold spaces: the fields after ") " are fixed.
    st=$(cat "$t/stat" 2>/dev/null) || continue
    comm=$(cat "$t/comm" 2>/dev/null)
    rest=${st##*) }
    set -- $rest
    snap+="${t##*/} ${comm// /_} $((${12} + ${13})) ${12} ${13}"$'\n'
  done
  # Every reading is kept: a thread that ends before the daemon does
  # (the stage workers at shutdown) keeps its last one.
  [ -n "$snap" ] && printf '%s' "$snap" >>"$out.cpu"
  sleep 0.02
done
wait "$bench"
rc=$?
grep -v '^kept ' "$out"
awk '{ if (!($1 in max) || $3 > max[$1]) { max[$1] = $3; u[$1] = $4; s[$1] = $5 }; comm[$1] = $2 }
     END { for (t in max) print t, comm[t], max[t], u[t], s[t] }' "$out.cpu" | sort -n |
  awk -v tck="$tck" -v n="$count" '
  { ms = $3 * 1000 / tck; tot += ms; ut += $4 * 1000 / tck; st += $5 * 1000 / tck
    if (ms > 0)
      printf "  thread %-8s %-14s %6.0f ms (user %5.0f, sys %5.0f)  %6.1f us/article\n", $1, $2, ms,
             $4 * 1000 / tck, $5 * 1000 / tck, ms * 1000 / n }
  END { printf "  presslined total        %6.0f ms (user %5.0f, sys %5.0f)  %6.1f us/article, user %.1f (%d articles)\n",
               tot, ut, st, tot * 1000 / n, ut * 1000 / n, n }'
exit $rc
