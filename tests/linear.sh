#!/usr/bin/env bash
# Each stage runs in time linear in the article's size (issue 12, point 3),
# checked without a clock: linear_probe runs the real chain under valgrind's
# callgrind, which counts the instructions each stage executes, on texts of
# S and 4S bytes of three shapes. A linear stage takes about 4 times the
# instructions on 4S (n log n: about 4.4); a quadratic one about 16. The
# check fails above 6. Instruction counts do not depend on the machine's
# load, so this cannot fail on a busy CI host the way a timing ratio can.
#
#   tests/linear.sh build/bin/linear_probe [SANITIZED]
#
# Skipped (77) in a sanitizer build (SANITIZED is CMake's PL_SANITIZE, ON
# there), which valgrind cannot run; sanitizers given some other way (in
# CMAKE_C_FLAGS) are not seen, and valgrind then fails the test.
set -euo pipefail
probe=$1
sanitized=${2:-OFF}
small=${PL_LINEAR_SMALL:-262144}
case "$sanitized" in
  ON | on | TRUE | true | 1)
    echo "linear.sh: a sanitizer build; valgrind cannot run it" >&2
    exit 77 ;;
esac
command -v valgrind > /dev/null || { echo "linear.sh: valgrind is missing (tools/deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Prints "clean N entities N summarize N" for one run.
count() {
  rm -f "$tmp"/cg.*
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$probe" "$1" "$2" 2> "$tmp/vg.log" \
    || { cat "$tmp/vg.log" >&2; echo "linear.sh: linear_probe $1 $2 failed" >&2; exit 1; }
  for f in "$tmp"/cg.[0-9]*; do
    awk '/^desc: Trigger: Client Request: /{s=$NF} /^(summary|totals):/{n=$2} END{print s, n}' "$f"
  done
}
fail=0
printf '%-10s %-10s %14s %14s %7s\n' shape stage "Ir at $small" "Ir at x4" ratio
for kind in seeds names furniture; do
  count "$kind" "$small" > "$tmp/a"
  count "$kind" $((small * 4)) > "$tmp/b"
  while read -r stage a && read -r stage2 b <&3; do
    [ "$stage" = "$stage2" ] || { echo "linear.sh: dumps out of order" >&2; exit 1; }
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b / a}')
    printf '%-10s %-10s %14s %14s %7s\n' "$kind" "$stage" "$a" "$b" "$ratio"
    awk -v r="$ratio" 'BEGIN{exit !(r > 6)}' && { echo "  ^ grows faster than the text" >&2; fail=1; }
  done < "$tmp/a" 3< "$tmp/b"
done
exit $fail
