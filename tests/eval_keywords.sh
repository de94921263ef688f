#!/usr/bin/env bash
# pressline eval keywords: the two made-up stories of
# tests/fixtures/keyphrases end to end (TF's figures worked out by hand,
# --predict, --cv), a story the pipeline fails and one without keys, the
# usage and input errors; and on the dev half of 500N-KPCrowd, when
# ../shared/data is there, every story scored.
set -u
bin=${PL_BUILD_DIR:?}/bin/pressline
src=${PL_SOURCE_DIR:?}
fx=$src/tests/fixtures/keyphrases
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" eval keywords "$fx" --predict "$tmp/p.jsonl" 2> "$tmp/err") ||
  fail "eval failed: $(cat "$tmp/err")"
echo "$out"
echo "$out" | grep -q "^2 stories (0 failed in the pipeline, 0 without keywords), 7.5 key phrases" ||
  fail "story count (8 forms for harbour-1, its 'Storm' and 'storm' once; 7 for council-2)"
echo "$out" | grep -q "leave-one-out" || fail "the document frequencies' source"
# TF, by hand: council-2's first five words (council, tram, build, line,
# route) hit none of its 7 phrases, its first ten only "dunmore";
# harbour-1's first five hit harbour, storm and pier of 8, its first ten
# also ferry and divers. P@5 (0 + 3/5) / 2, R@5 (0 + 3/8) / 2, F1@5
# (0 + 0.4615) / 2; P@10 (1/10 + 5/10) / 2, R@10 (1/7 + 5/8) / 2, F1@10
# (0.1176 + 0.5556) / 2.
echo "$out" | grep -qE "^TF +0\.300 +0\.188 +0\.231 +0\.300 +0\.384 +0\.337$" || fail "TF's row"
for m in pressline TF-IDF YAKE; do
  echo "$out" | grep -qE "^$m( +[01]\.[0-9]{3}){6}$" || fail "$m's row"
done
[ "$(wc -l < "$tmp/p.jsonl")" -eq 2 ] || fail "--predict wrote $(wc -l < "$tmp/p.jsonl") rows, want 2"
grep -q '^{"id":"council-2","pressline":\[' "$tmp/p.jsonl" || fail "--predict row: $(head -1 "$tmp/p.jsonl")"
grep -q '"tf":\["council","tram","build","line","route",' "$tmp/p.jsonl" || fail "--predict's TF list"

out=$("$bin" eval keywords "$fx" --cv 2 2> "$tmp/err") || fail "--cv 2 failed: $(cat "$tmp/err")"
echo "$out" | grep -q "from the stories of the other folds" || fail "--cv's document frequencies"
[ "$(echo "$out" | grep -c '^fold [01] (1 stories) F1@10: pressline ')" -eq 2 ] || fail "--cv's folds"

# A story the pipeline fails (an empty file) counts with no keyphrases;
# one without a key file is left out with a warning.
cp -r "$fx" "$tmp/more"
: > "$tmp/more/docsutf8/empty-3.txt"
echo "anything" > "$tmp/more/keys/empty-3.key"
echo "A story nobody annotated." > "$tmp/more/docsutf8/nokeys-4.txt"
out=$("$bin" eval keywords "$tmp/more" 2> "$tmp/err") || fail "eval with a failing story: $(cat "$tmp/err")"
echo "$out" | grep -q "^3 stories (1 failed in the pipeline, 0 without keywords)" || fail "the failed story: $out"
grep -q "empty-3: empty file" "$tmp/err" || fail "the failed story's reason: $(cat "$tmp/err")"
grep -q "nokeys-4 has no .*nokeys-4.key; skipped" "$tmp/err" || fail "the story without keys: $(cat "$tmp/err")"

"$bin" eval keywords "$tmp/missing" 2> "$tmp/err"
[ $? -eq 1 ] || fail "a missing folder did not exit 1"
grep -q "cannot open $tmp/missing/docsutf8" "$tmp/err" || fail "missing folder: $(cat "$tmp/err")"
mkdir -p "$tmp/none/docsutf8"
"$bin" eval keywords "$tmp/none" 2> "$tmp/err" && fail "a folder without stories was accepted"
grep -q "no story with its keys" "$tmp/err" || fail "empty folder: $(cat "$tmp/err")"
"$bin" eval keywords 2> "$tmp/err"
[ $? -eq 2 ] || fail "no folder: not a usage error"
grep -q "^usage: pressline eval keywords DIR" "$tmp/err" || fail "usage line: $(cat "$tmp/err")"
"$bin" eval keywords "$fx" --cv 1 2> "$tmp/err"
[ $? -eq 2 ] || fail "--cv 1 accepted"
grep -q "eval keywords: --cv takes 2 to" "$tmp/err" || fail "--cv's message: $(cat "$tmp/err")"

dev=$src/../shared/data/keyphrases/500N-KPCrowd-dev.tar.xz
if [ ! -r "$dev" ]; then
  echo "skipped 500N-KPCrowd dev: $dev is not there"
  exit 0
fi
tar -xJf "$dev" -C "$tmp"
out=$("$bin" eval keywords "$tmp/500N-KPCrowd-dev") || fail "eval on dev failed"
echo "$out"
echo "$out" | grep -q "^253 stories (0 failed in the pipeline" || fail "dev stories"
echo "ok"
