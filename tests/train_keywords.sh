#!/usr/bin/env bash
# pl_train_keywords: the document-frequency table of a made-up news text
# (each article's terms once, the threshold, the sorted C table), and the
# scorer on the two made-up stories of tests/fixtures/keyphrases with two
# folds (a row per fold and over all, the weights and keyphraseness
# headers written); its usage errors.
set -u
bin=${PL_BUILD_DIR:?}/bin/pl_train_keywords
src=${PL_SOURCE_DIR:?}
fx=$src/tests/fixtures/keyphrases
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

printf 'the embassy reopened . embassy staff returned\nan embassy in istanbul\nistanbul talks\n' |
  "$bin" --df "$tmp/df.h" --min-df 2 2> "$tmp/err" || fail "--df failed: $(cat "$tmp/err")"
grep -q "^3 articles, " "$tmp/err" || fail "--df's count: $(cat "$tmp/err")"
grep -q "^#define PL_KW_DF_DOCS 3$" "$tmp/df.h" || fail "the article count"
# "embassy" is in two articles (twice in the first, counted once),
# "istanbul" in two; "talks" and "staff" in one, under the threshold.
[ "$(grep -c '^    { "' "$tmp/df.h")" -eq 2 ] || fail "terms kept: $(cat "$tmp/df.h")"
grep -q '^    { "embassy", 2 },$' "$tmp/df.h" || fail "embassy's count: $(cat "$tmp/df.h")"
[ "$(grep '^    { "' "$tmp/df.h" | head -1)" = '    { "embassy", 2 },' ] || fail "not sorted"

out=$("$bin" --dir "$fx" --folds 2 --out "$tmp/w.h" --prior "$tmp/p.h" 2> "$tmp/err") ||
  fail "--dir failed: $(cat "$tmp/err")"
echo "$out"
[ "$(echo "$out" | grep -cE '^fold [01] +1( +[01]\.[0-9]{3}){6}$')" -eq 2 ] || fail "fold rows"
echo "$out" | grep -qE '^all +2( +[01]\.[0-9]{3}){6}$' || fail "the all row"
grep -q "^static const double pl_kw_weights\[\] = {$" "$tmp/w.h" || fail "weights header"
grep -q "/\* bias \*/" "$tmp/w.h" || fail "the bias"
grep -q "^} pl_kw_prior\[\] = {$" "$tmp/p.h" || fail "keyphraseness header"
grep -q "^2 stories, [0-9]* candidates, [1-9][0-9]* of them key phrases$" "$tmp/err" ||
  fail "the candidates' count: $(cat "$tmp/err")"

"$bin" --dir "$fx" --out "$tmp/w.h" 2> "$tmp/err" && fail "--dir without --prior was accepted"
grep -q "^usage: pl_train_keywords" "$tmp/err" || fail "usage: $(cat "$tmp/err")"
"$bin" --dir "$fx" --folds 1 --out "$tmp/w.h" --prior "$tmp/p.h" 2> "$tmp/err" &&
  fail "--folds 1 was accepted"
"$bin" --df "$tmp/df.h" < /dev/null 2> "$tmp/err" && fail "an empty text was accepted"
grep -q "no article" "$tmp/err" || fail "empty text's message: $(cat "$tmp/err")"
echo "train_keywords: all checks passed"
