#!/usr/bin/env bash
# pressline eval summary: a small fixture end to end (a failing row, a line
# that is not a row, --predict), and on CNN/DailyMail dev, when
# ../shared/data is there, pressline's summaries above lead-3 on ROUGE-1,
# ROUGE-2 and ROUGE-Lsum.
set -u
bin=${PL_BUILD_DIR:?}/bin/pressline
src=${PL_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" eval summary "$src/tests/fixtures/cnndm/tiny.jsonl" --predict "$tmp/p.jsonl" 2> "$tmp/err") ||
  fail "eval failed: $(cat "$tmp/err")"
echo "$out"
echo "$out" | grep -q "^3 articles (1 failed in the pipeline, 1 with an empty summary)" || fail "row count"
echo "$out" | grep -qE "^pressline +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2} +[0-9]+\.[0-9]{2}$" || fail "pressline row"
echo "$out" | grep -qE "^lead-3 +[0-9]+\.[0-9]{2}" || fail "lead-3 row"
grep -q "bad: empty file (0 bytes)" "$tmp/err" || fail "the failing row's reason: $(cat "$tmp/err")"
grep -q "tiny.jsonl:4: not a row" "$tmp/err" || fail "the line that is not a row"
[ "$(wc -l < "$tmp/p.jsonl")" -eq 3 ] || fail "--predict wrote $(wc -l < "$tmp/p.jsonl") rows, want 3"
grep -q '^{"id":"one","summary":"The city council approved the new budget on Monday.\\n' "$tmp/p.jsonl" ||
  fail "--predict row: $(head -1 "$tmp/p.jsonl")"
"$bin" eval summary "$tmp/missing.jsonl" 2> "$tmp/err" && fail "a missing file was accepted"
grep -q "cannot open $tmp/missing.jsonl" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"

dev=$src/../shared/data/cnndm/dev.jsonl
if [ ! -r "$dev" ]; then
  echo "skipped CNN/DailyMail dev: $dev is not there"
  exit 0
fi
out=$("$bin" eval summary "$dev") || fail "eval on dev failed"
echo "$out"
read -r _ p1 p2 pl <<< "$(echo "$out" | grep '^pressline')"
read -r _ l1 l2 ll <<< "$(echo "$out" | grep '^lead-3')"
awk -v a="$p1" -v b="$l1" 'BEGIN { exit !(a > b) }' || fail "ROUGE-1 $p1 is not above lead-3's $l1"
awk -v a="$p2" -v b="$l2" 'BEGIN { exit !(a > b) }' || fail "ROUGE-2 $p2 is not above lead-3's $l2"
awk -v a="$pl" -v b="$ll" 'BEGIN { exit !(a > b) }' || fail "ROUGE-Lsum $pl is not above lead-3's $ll"
echo "ok"
