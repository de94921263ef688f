#!/usr/bin/env bash
# pl_train_blocks: the same pages give the same model file byte for byte,
# the model it writes is one the clean plugin loads, and bad input is
# refused clearly.
set -u
bin=${PL_BUILD_DIR:?}/bin
src=${PL_SOURCE_DIR:?}
fx=$src/tests/fixtures/extraction
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for i in 1 2; do
  "$bin/pl_train_blocks" --trafilatura "$fx/evaldata.json" --readability "$fx/readability" \
    --trees 30 --depth 3 --threshold 0.3 --add 0.95 --out "$tmp/m$i.model" 2> "$tmp/log$i" ||
    { cat "$tmp/log$i"; fail "training on the fixtures"; }
done
cat "$tmp/log1"
cmp -s "$tmp/m1.model" "$tmp/m2.model" || fail "two runs on the same pages wrote different models"
grep -q "training blocks [1-9]" "$tmp/log1" || fail "no labelled blocks in the fixtures"
head -2 "$tmp/m1.model" | grep -q "^threshold 0.3 0.95$" || fail "thresholds not written"
head -1 "$tmp/m1.model" | grep -q "^pressline-blocks 2 " || fail "not a version 2 (trees) model"
# With text dumps of the pages, the dump model too: version 3, the same
# bytes on each run, and it loads. Two made-up dumps of whole pages (menus,
# teasers and a footer around the story), with their snippets.
mkdir -p "$tmp/dumps"
for p in a b; do
  {
    printf 'Home\nWorld\nSport\nBusiness\nCulture\nWeather\nSign in\nSubscribe\nSearch\n\n'
    printf 'Harbour wall to be rebuilt %s\n\n' "$p"
    printf 'The council met on Tuesday and agreed to rebuild the harbour wall in %s before winter, its leader said in a statement read out to the press.\n\n' "$p"
    printf 'Work starts next month and should take about a year, with the coast road closed at night while the crews are at work on the old stones.\n\n'
    printf 'Residents welcomed the news, although some said the plan came years too late for the shops on the front that flooded twice last year.\n\n'
    printf 'More stories\nTrain fares rise again\nNew park opens\nSchool wins award\nFestival returns\n\n'
    printf 'Contact us\nPrivacy\nTerms\nCookies\nAbout\n'
  } > "$tmp/dumps/$p.html.txt"
done
cat > "$tmp/eval.json" <<'JSON'
{"https://a.example/x": {"file": "a.html", "with": ["rebuild the harbour wall in a", "coast road closed at night"], "without": ["Train fares rise again", "Privacy"]},
 "https://b.example/y": {"file": "b.html", "with": ["rebuild the harbour wall in b", "came years too late"], "without": ["New park opens", "Cookies"]}}
JSON
for i in 1 2; do
  "$bin/pl_train_blocks" --trafilatura "$tmp/eval.json" --trees 20 --depth 2 --dumps "$tmp/dumps" \
    --dump-threshold 0.4 --dump-add 0.9 --out "$tmp/d$i.model" 2> "$tmp/dlog$i" ||
    { cat "$tmp/dlog$i"; fail "training with dumps"; }
done
cmp -s "$tmp/d1.model" "$tmp/d2.model" || fail "two runs with dumps wrote different models"
head -1 "$tmp/d1.model" | grep -q "^pressline-blocks 3 " || fail "with dumps, not a version 3 model"
grep -q "^dumps 0.4 0.9$" "$tmp/d1.model" || fail "the dump model's thresholds not written"
grep -A1 "dumps:" "$tmp/dlog1" | grep -q "training blocks [1-9]" || fail "no labelled dump blocks"
sed "s#\"options\": {}#\"options\": {\"block_model\": \"$tmp/d1.model\"}#" \
  "$src/config/pressline.json" > "$tmp/dcfg.json"
out=$("$bin/pressline" eval extract "$tmp/eval.json" --pages "$tmp/dumps" --config "$tmp/dcfg.json" 2>&1) ||
  fail "eval of the dumps with the dump model: $out"
echo "$out" | grep -q "2 pages (0 gave no text)" || fail "eval of the dumps with the dump model: $out"
"$bin/pl_train_blocks" --readability "$fx/readability" --dumps "$tmp/dumps" --trees 5 \
  --out "$tmp/x.model" 2> /dev/null && fail "--dumps without --trafilatura was accepted"
# The logistic regression (--trees 0) is deterministic too.
for i in 1 2; do
  "$bin/pl_train_blocks" --trafilatura "$fx/evaldata.json" --readability "$fx/readability" \
    --trees 0 --epochs 5 --out "$tmp/lr$i.model" 2> /dev/null || fail "training the regression"
done
cmp -s "$tmp/lr1.model" "$tmp/lr2.model" || fail "two regression runs wrote different models"
head -1 "$tmp/lr1.model" | grep -q "^pressline-blocks 1 " || fail "not a version 1 model"
# The model loads in the plugin and extracts the fixtures' pages.
sed "s#\"options\": {}#\"options\": {\"block_model\": \"$tmp/m1.model\"}#" \
  "$src/config/pressline.json" > "$tmp/cfg.json"
grep -q block_model "$tmp/cfg.json" || fail "could not write the configuration"
out=$("$bin/pressline" eval extract "$fx/evaldata.json" --config "$tmp/cfg.json" 2>&1) ||
  fail "eval with the trained model: $out"
echo "$out" | grep -q "2 pages (0 gave no text)" || fail "eval with the trained model: $out"
# A fold left out: the trainer reports on it.
"$bin/pl_train_blocks" --trafilatura "$fx/evaldata.json" --readability "$fx/readability" \
  --cv 2 --fold 1 --out "$tmp/f.model" 2> "$tmp/log3" || { cat "$tmp/log3"; fail "--cv 2 --fold 1"; }

out=$("$bin/pl_train_blocks" --trafilatura "$tmp/missing.json" --out "$tmp/x.model" 2>&1) &&
  fail "a missing file was accepted"
echo "$out" | grep -q "cannot read $tmp/missing.json" || fail "missing file: $out"
out=$("$bin/pl_train_blocks" --readability "$fx/readability" --cv 2 --fold 2 --out "$tmp/x.model" 2>&1) &&
  fail "a fold out of range was accepted"
echo "$out" | grep -q "usage:" || fail "fold out of range: $out"
out=$("$bin/pl_train_blocks" --readability "$fx/readability" --trees 10 --depth 9 --out "$tmp/x.model" 2>&1) &&
  fail "a depth over the model file's limit was accepted"
echo "$out" | grep -q "usage:" || fail "depth out of range: $out"
echo ok
