#!/usr/bin/env bash
# pressline eval extract: both metrics on small fixtures worked out by hand,
# errors, and trafilatura's evaluation set when ../shared/data is there.
set -u
bin=${PL_BUILD_DIR:?}/bin/pressline
src=${PL_SOURCE_DIR:?}
fx=$src/tests/fixtures/extraction
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" eval extract "$fx/evaldata.json" --predict "$tmp/p.jsonl") || fail "snippet mode failed"
echo "$out"
echo "$out" | grep -q "snippets: with found 4 of 4, without found 0 of 3" || fail "snippets"
[ "$(wc -l < "$tmp/p.jsonl")" -eq 2 ] || fail "--predict rows"
# Zyte metric: "storm" exact (P = R = 1); "budget" has 23 4-grams, all in a
# truth of 35: P = 1, R = 23/35. Averages P = 1, R = 0.8286; F1 = 0.906.
out=$("$bin" eval extract --truth "$fx/truth.json" --pages "$fx/pages") || fail "4-gram mode failed"
echo "$out"
echo "$out" | grep -q "word 4-grams: precision 1.000  recall 0.829  F1 0.906" || fail "4-gram figures"
"$bin" eval extract "$tmp/missing.json" 2> "$tmp/err" && fail "a missing file was accepted"
grep -q "cannot read $tmp/missing.json" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
"$bin" eval extract --truth "$fx/truth.json" 2> "$tmp/err" && fail "--truth without --pages was accepted"
grep -q "usage:" "$tmp/err" || fail "usage"

data=$src/../shared/data/extraction/trafilatura-eval.tar.xz
if [ ! -r "$data" ]; then
  echo "skipped trafilatura's set: $data is not there"
  exit 0
fi
tar -xJf "$data" -C "$tmp" || fail "cannot unpack $data"
out=$("$bin" eval extract "$tmp/evaldata.json" 2>/dev/null) || fail "eval on trafilatura's set failed"
echo "$out"
# A floor against regressions, below the measured figure (see README).
f1=$(echo "$out" | sed -n 's/.*F1 \([0-9.]*\).*/\1/p')
awk -v f="$f1" 'BEGIN { exit !(f >= 0.92) }' || fail "F1 $f1 fell below 0.92"

# The same pages as text dumps (w3m -dump, 100 columns): the text rules
# must find the story in them too.
if ! command -v w3m > /dev/null; then
  echo "skipped the text dumps: w3m is not installed"
  echo ok
  exit 0
fi
mkdir -p "$tmp/dumps"
for f in "$tmp"/html/eval/* "$tmp"/html/cache/*; do
  timeout 10 w3m -dump -T text/html -cols 100 -O UTF-8 "$f" > "$tmp/dumps/${f##*/}.txt" 2>/dev/null
done
out=$("$bin" eval extract "$tmp/evaldata.json" --pages "$tmp/dumps" 2>/dev/null) ||
  fail "eval on the text dumps failed"
echo "text dumps: $out"
f1=$(echo "$out" | sed -n 's/.*F1 \([0-9.]*\).*/\1/p')
awk -v f="$f1" 'BEGIN { exit !(f >= 0.80) }' || fail "text dumps: F1 $f1 fell below 0.80"
echo ok
