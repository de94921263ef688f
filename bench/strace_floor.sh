#!/bin/sh
# System calls per article of presslined (all its threads; not the worker
# processes, which the pass-through stage does not use): pl_bench's floor
# (one pass-through stage, a burst of N files, default 2,000) with the
# daemon run under strace -c -f. Prints strace's table and the calls per
# article.
#
#   bench/strace_floor.sh BUILD_DIR [N [pl_bench options: --durable, --rate R]]
#
# In a burst the count depends on how long files wait in the inbox (the
# watcher looks at a waiting file again), so it moves with the machine's
# speed; a paced run (--rate 200) shows the cost of one article alone.
set -eu
build=$(cd "$1" && pwd)
n=${2:-2000}
shift $(($# < 2 ? $# : 2))
tmp=$(mktemp -d /tmp/pl-strace-XXXXXX)
mkdir -p "$tmp/bin"
ln -s "$build/bench" "$tmp/bench"
ln -s "$build/lib" "$tmp/lib"
# The harness stops the daemon with SIGTERM: passed on to the daemon, so
# that strace sees it exit and writes its table.
cat > "$tmp/bin/presslined" <<EOS
#!/bin/sh
strace -f -c -o "$tmp/strace.txt" "$build/bin/presslined" "\$@" &
sp=\$!
trap 'kill -TERM \$(cat /proc/\$sp/task/\$sp/children)' TERM
wait \$sp
wait \$sp
EOS
chmod +x "$tmp/bin/presslined"
PL_BUILD_DIR=$tmp "$build/bin/pl_bench" --only floor --count "$n" "$@" | grep -v '^plain loop'
# strace writes its table when the daemon exits.
i=0
while [ ! -s "$tmp/strace.txt" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
cat "$tmp/strace.txt"
awk -v n="$n" '$NF == "total" { printf "system calls per article: %.1f (%d calls, %d articles)\n", $(NF-2) / n, $(NF-2), n }' "$tmp/strace.txt"
rm -rf "$tmp"
