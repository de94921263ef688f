#!/usr/bin/env bash
# pl_eval_stories (eval/eval_stories.c): its weight options are checked and
# reach the vectors, `pressline process` output is read with its entities,
# the halves are measured, and --weights prints a row per setting. On the
# seeds alone, so it needs no ../shared/data.
set -u
bin=${PL_BUILD_DIR:?}/bin
src=${PL_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin/pressline" process "$src"/tests/fixtures/seeds/*.txt > "$tmp/seeds.jsonl" 2> "$tmp/err" ||
  fail "pressline process: $(cat "$tmp/err")"
run() { "$bin/pl_eval_stories" --data "$tmp/seeds.jsonl" --seeds "$tmp/seeds.jsonl" "$@"; }

for bad in "--title-weight -1" "--entity-weight x" "--body-weight 101" "--title-weight="; do
  # shellcheck disable=SC2086
  run $bad > /dev/null 2> "$tmp/err"
  [ $? -eq 2 ] || fail "$bad was not refused with 2"
  grep -q "is not a number from 0 to 100" "$tmp/err" || fail "$bad: $(cat "$tmp/err")"
done
run --sweep --weights > /dev/null 2>&1
[ $? -eq 2 ] || fail "--sweep with --weights was accepted"

out=$(run 2> "$tmp/err") || fail "default run: $(cat "$tmp/err")"
echo "$out"
echo "$out" | grep -q "^5 CNN/DailyMail dev articles (5 with entities, titles none), 5 seeds, 5 halved" ||
  fail "the header: the entities of pressline process output not read"
echo "$out" | grep -qE "^  halves: [0-5] of 5 second halves joined" || fail "no halves line"
echo "$out" | grep -qE "^  second half to its first half +min" || fail "no halves distribution"
cos() { sed -n 's/^seeds. lowest cosine to their story \([0-9.]*\): margin.*/\1/p'; }
c_default=$(echo "$out" | cos)
c_noent=$(run --entity-weight 0 2> /dev/null | cos)
c_title=$(run --title-weight 6 2> /dev/null | cos)
[ -n "$c_default" ] && [ -n "$c_noent" ] && [ -n "$c_title" ] || fail "no seeds' cosine line"
# The seeds share their entities (Darchiev, Istanbul): without them they
# are further apart; the weights must reach the vectors.
awk -v a="$c_noent" -v b="$c_default" 'BEGIN { exit !(a < b) }' ||
  fail "--entity-weight 0 did not lower the seeds' cosine ($c_noent vs $c_default)"
[ "$c_title" != "$c_default" ] || fail "--title-weight 6 changed nothing ($c_title)"
run --story 0.3 2> /dev/null | grep -qE "margin \+0\.[0-9]{3} over story_threshold" ||
  fail "the margin against --story 0.3"

out=$(run --weights 2> "$tmp/err") || fail "--weights: $(cat "$tmp/err")"
rows=$(echo "$out" | grep -cE "^ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ \| +[0-9.]+% \( *[0-9]+\) \| +[0-9]/5 ")
[ "$rows" -eq 300 ] || fail "--weights printed $rows rows, want 300"
echo "$out" | grep -qE "^ +0\.00 +1\.00 +0\.00 +0\.45 \|" || fail "no row for title 0, body 1, entity 0"
echo "pl_eval_stories options: ok"
