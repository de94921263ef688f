#!/bin/bash
# System calls per article of the daemon pl_bench starts, by thread group
# and by call, lighter than strace (perf records each call's tracepoint,
# without a stack; the daemon runs at near its own speed).
#
#   bench/syscalls_per_article.sh BUILD_DIR PL_BENCH_ARGS...
#   e.g. bench/syscalls_per_article.sh build-rel --count 2000 --only default
#
# Runs BUILD_DIR/bin/pl_bench with the arguments (one run: use --only),
# with the daemon started under perf record (every thread, from its start
# to its exit: the start and the shutdown are counted too), and
# prints pl_bench's own lines, then the calls per article of: the main
# loop (the thread whose id is the daemon's), the writer's pool (libuv's
# threads, "pl-writer"), libzmq's I/O thread, the stage threads
# ("pl-<stage>", the plugins' own calls among them), and, for the main
# loop and the writer, the calls that make up most of it. A burst's count
# used to grow with the files waiting in the inbox (the watcher looked at
# them again at every scan); compare --count 500 with 4000 to see that it
# no longer does. Needs perf and the right to trace (root here).
set -u
build=${1:?usage: syscalls_per_article.sh BUILD_DIR PL_BENCH_ARGS...}
shift
count=2000
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--count" ]; then
    [ $((i + 1)) -lt ${#args[@]} ] || { echo "syscalls_per_article: --count needs a number" >&2; exit 2; }
    count=${args[$((i + 1))]}
  fi
done
tmp=$(mktemp -d /tmp/pl-syscalls-XXXXXX)
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
build=$(cd "$build" && pwd)
# pl_bench starts $PL_BUILD_DIR/bin/presslined: here a script that runs the
# real one under perf record from its first instruction, and passes the
# harness's SIGTERM on to it, so that perf sees it exit and writes its data.
mkdir -p "$tmp/bin"
for d in bench lib plugins tests; do [ -e "$build/$d" ] && ln -s "$build/$d" "$tmp/$d"; done
cat >"$tmp/bin/presslined" <<EOS
#!/bin/sh
perf record -q -e raw_syscalls:sys_enter -c 1 -m 4096 -o "$tmp/perf.data" -- "$build/bin/presslined" "\$@" 2>"$tmp/perf.err" &
pp=\$!
trap 'kill -TERM \$(cat /proc/\$pp/task/\$pp/children)' TERM
wait \$pp
wait \$pp
EOS
chmod +x "$tmp/bin/presslined"
PL_BUILD_DIR=$tmp "$build/bin/pl_bench" "$@" >"$tmp/bench.txt" 2>&1
rc=$?
# perf writes its file when the daemon has exited.
i=0
while pgrep -f "$tmp/perf.data" >/dev/null && [ $i -lt 200 ]; do
  sleep 0.1
  i=$((i + 1))
done
pid=$(perf script -i "$tmp/perf.data" -F pid,comm 2>/dev/null | awk '$1 == "presslined" { print $2; exit }')
grep -v '^kept ' "$tmp/bench.txt"
grep -i lost "$tmp/perf.err"
# One line a call: the thread, its name then, the call's number.
perf script -i "$tmp/perf.data" -F tid,comm,trace 2>/dev/null |
  awk -v pid="$pid" -v n="$count" '
  function nm(nr) { return nr in names ? names[nr] : "#" nr }
  BEGIN { split("0 read 1 write 3 close 7 poll 8 lseek 17 pread64 18 pwrite64 39 getpid 72 fcntl " \
                "74 fsync 75 fdatasync 82 rename 202 futex 217 getdents64 232 epoll_wait 257 openat " \
                "262 newfstatat 264 renameat 316 renameat2 44 sendto 45 recvfrom 233 epoll_ctl " \
                "86 link 265 linkat 87 unlink 263 unlinkat 24 sched_yield 28 madvise 11 munmap 9 mmap " \
                "10 mprotect 12 brk 13 rt_sigaction 14 rt_sigprocmask 5 fstat 4 stat 6 lstat", a, " ")
          for (i = 1; i < length(a); i += 2) names[a[i]] = a[i + 1] }
  { comm = $1; tid = $2; nr = ""
    for (i = 3; i <= NF; i++) if ($i == "NR") { nr = $(i + 1); break }
    if (tid == pid) g = "main loop"
    else if (comm ~ /^pl-writer/ || comm == "presslined") g = "writer pool (and idle libuv/zmq threads)"
    else if (comm ~ /^ZMQbg\/IO/) g = "zmq I/O thread"
    else if (comm ~ /^pl-/) g = "stage threads (" comm ")"
    else g = "other (" comm ")"
    if (comm ~ /^pl-/ && comm != "pl-writer" && tid != pid) sg = "stage threads, all"; else sg = ""
    tot[g]++; all++; if (sg != "") tot[sg]++
    if (g != "main loop" && g !~ /^writer/) next
    call[g SUBSEP nm(nr)]++ }
  END {
    own = 0
    for (g in tot) if (g !~ /^stage/) own += tot[g]
    printf "system calls per article (%d articles): daemon, all threads %.1f; its own (not the stage threads) %.1f\n", n, all / n, own / n
    for (g in tot) printf "  %-44s %7.1f\n", g, tot[g] / n
    for (k in call) { split(k, p, SUBSEP); if (call[k] / n >= 0.5) printf "    %-20s %-16s %7.1f\n", p[1] == "main loop" ? "main loop" : "writer pool", p[2], call[k] / n }
  }' | sort -s -k1,1
exit $rc
