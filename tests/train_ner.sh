#!/usr/bin/env bash
# pl_train_ner: the same data gives the same model file byte for byte, the
# model it writes is one the tagger opens, and bad input is refused clearly.
set -u
bin=${PL_BUILD_DIR:?}/bin
src=${PL_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tiny=$src/tests/fixtures/conll/tiny.txt
gaz=$src/plugins/entities/gazetteer.tsv

for i in 1 2; do
  "$bin/pl_train_ner" --train "$tiny" --dev "$tiny" --gazetteer "$gaz" --bits 12 --epochs 3 \
    --epochs2 2 --folds 2 --out "$tmp/tiny$i.model" 2> "$tmp/log$i" || { cat "$tmp/log$i"; fail "training on the fixture"; }
done
cmp -s "$tmp/tiny1.model" "$tmp/tiny2.model" || fail "two runs on the same data wrote different models"
"$bin/pl_train_ner" --test "$tiny" --model "$tmp/tiny1.model" || fail "--test on a two-stage model"
# --orders: each stage the mean of R perceptrons trained in R visiting
# orders; deterministic too, a different model from one order, and a
# count out of range refused.
for i in 1 2; do
  "$bin/pl_train_ner" --train "$tiny" --gazetteer "$gaz" --bits 12 --epochs 3 --epochs2 2 \
    --folds 2 --orders 3 --out "$tmp/ord$i.model" 2> "$tmp/olog$i" || { cat "$tmp/olog$i"; fail "--orders 3"; }
done
"$bin/pl_train_ner" --train "$tiny" --gazetteer "$gaz" --bits 12 --epochs 3 --epochs2 2 \
  --folds 2 --out "$tmp/ord0.model" 2> /dev/null || fail "one order"
cmp -s "$tmp/ord1.model" "$tmp/ord2.model" || fail "two runs with --orders 3 wrote different models"
cmp -s "$tmp/ord1.model" "$tmp/ord0.model" && fail "--orders 3 wrote the model of one order"
"$bin/pl_train_ner" --test "$tiny" --model "$tmp/ord1.model" > /dev/null 2>&1 || fail "--test on an --orders model"
for r in 0 65; do
  "$bin/pl_train_ner" --train "$tiny" --orders $r --out "$tmp/x.model" 2> /dev/null && fail "--orders $r was accepted"
done
# Three names in the fixture; a one-stage model trained on it finds them all
# (with one document, the second stage has no held-out tags to learn from).
"$bin/pl_train_ner" --train "$tiny" --gazetteer "$gaz" --bits 12 --epochs 10 --without stage2 \
  --out "$tmp/one.model" 2> "$tmp/log3" || { cat "$tmp/log3"; fail "one-stage training"; }
out=$("$bin/pl_train_ner" --test "$tiny" --model "$tmp/one.model" 2>&1) || fail "--test: $out"
echo "$out"
echo "$out" | grep -q "F1 100.00" || fail "a model trained on the fixture does not tag the fixture"

# The measured options that the shipped model does without: case counts
# of cased text (which bring the sentence-shape group) and title-case
# copies of the headlines; a missing text is refused.
printf 'The visas of Paris .\nThey left Paris and paris .\n' > "$tmp/cased.txt"
out=$("$bin/pl_train_ner" --train "$tiny" --gazetteer "$gaz" --bits 12 --epochs 2 --epochs2 1 --folds 2 \
  --cased "$tmp/cased.txt" --title-copies 1 --out "$tmp/cased.model" 2>&1) || fail "--cased: $out"
echo "$out" | grep -q "^cased: 0 words of the lexicon" || fail "--cased without clusters: $out"
echo "$out" | grep -q "^train: [0-9]* title-case copies" || fail "--title-copies: $out"
out=$("$bin/pl_train_ner" --train "$tiny" --cased "$tmp/none.txt" --out "$tmp/x.model" 2>&1) && fail "a missing --cased file was accepted"
echo "$out" | grep -q "cannot open $tmp/none.txt" || fail "missing --cased file: $out"

# Clusters of cased words (measured, not shipped): read as written, and
# they make a model of their own.
printf 'Paris\t1\t2\t3\t9\nKremlin\t4\t5\t6\t9\n' > "$tmp/cc.tsv"
out=$("$bin/pl_train_ner" --train "$tiny" --gazetteer "$gaz" --bits 12 --epochs 2 --epochs2 1 --folds 2 \
  --cased-clusters "$tmp/cc.tsv" --out "$tmp/cc.model" 2>&1) || fail "--cased-clusters: $out"
echo "$out" | grep -q "^cased clusters: 2 words from $tmp/cc.tsv" || fail "--cased-clusters: $out"
"$bin/pl_train_ner" --train "$tiny" --gazetteer "$gaz" --bits 12 --epochs 2 --epochs2 1 --folds 2 \
  --out "$tmp/nocc.model" 2> /dev/null || fail "training without --cased-clusters"
cmp -s "$tmp/cc.model" "$tmp/nocc.model" && fail "--cased-clusters changed nothing in the model"
printf 'Paris\t1\n' > "$tmp/badcc.tsv"
out=$("$bin/pl_train_ner" --train "$tiny" --cased-clusters "$tmp/badcc.tsv" --out "$tmp/x.model" 2>&1) && fail "a malformed --cased-clusters file was accepted"
echo "$out" | grep -q "badcc.tsv: bad line" || fail "malformed --cased-clusters file: $out"

out=$("$bin/pl_train_ner" --train "$tmp/missing.txt" --out "$tmp/x.model" 2>&1) && fail "a missing file was accepted"
echo "$out" | grep -q "cannot open $tmp/missing.txt" || fail "missing file: $out"
printf 'Paris NNP I-NP I-TOWN\n' > "$tmp/bad.txt"
out=$("$bin/pl_train_ner" --train "$tmp/bad.txt" --out "$tmp/x.model" 2>&1) && fail "an unknown tag was accepted"
echo "$out" | grep -q "bad.txt:1: unknown tag \"I-TOWN\"" || fail "unknown tag: $out"
"$bin/pl_train_ner" --train "$tiny" --out "$tmp/x.model" --without colour 2> "$tmp/err" && fail "an unknown group was accepted"
grep -q 'unknown feature group "colour"' "$tmp/err" || fail "unknown group: $(cat "$tmp/err")"

for p in 1 -0.1; do
  "$bin/pl_train_ner" --train "$tiny" --word-dropout $p --out "$tmp/x.model" 2> /dev/null &&
    fail "--word-dropout $p was accepted"
done
"$bin/pl_train_ner" --train "$tiny" --gazetteer "$gaz" --bits 12 --epochs 3 --epochs2 2 --folds 2 \
  --word-dropout 0.5 --out "$tmp/drop.model" 2> /dev/null || fail "--word-dropout 0.5"
cmp -s "$tmp/drop.model" "$tmp/tiny1.model" && fail "--word-dropout 0.5 wrote the model without it"

out=$("$bin/pl_train_ner" --train "$tiny" --cv 5 --cv-folds 0,5 2>&1) && fail "fold 5 of 5 was accepted"
echo "$out" | grep -q -- '--cv-folds: "0,5" is not a list of folds 0..4' || fail "bad fold: $out"

train=$src/../shared/data/conll2003/train.txt
dev=$src/../shared/data/conll2003/dev.txt
if [ ! -r "$train" ] || [ ! -r "$dev" ]; then
  echo "skipped the CoNLL-2003 run: $train is not there"
  exit 0
fi
# One epoch per stage on the real data, twice: same bytes, and a sane score.
for i in 1 2; do
  "$bin/pl_train_ner" --train "$train" --dev "$dev" --gazetteer "$gaz" --bits 16 --epochs 1 \
    --epochs2 1 --folds 2 --out "$tmp/conll$i.model" 2> "$tmp/clog$i" || { cat "$tmp/clog$i"; fail "training on CoNLL"; }
done
cmp -s "$tmp/conll1.model" "$tmp/conll2.model" || fail "two runs on CoNLL-2003 wrote different models"
grep "stage 2 dev" "$tmp/clog1"
f1=$(grep "^stage 2 dev" "$tmp/clog1" | sed 's/.*F1 \([0-9]*\)\..*/\1/')
[ "${f1:-0}" -ge 80 ] || fail "one epoch on CoNLL-2003 scored only $f1 F1 on dev"
# Cross-validation: two folds, one at a time and two at a time, the same
# figures; each fold holds a fifth of the documents.
cv=(--train "$train" --gazetteer "$gaz" --bits 16 --epochs 1 --epochs2 1 --folds 2 --cv 5 --cv-folds 0,3)
"$bin/pl_train_ner" "${cv[@]}" --jobs 1 > "$tmp/cv1" 2> "$tmp/cvlog1" || { cat "$tmp/cvlog1"; fail "--cv"; }
"$bin/pl_train_ner" "${cv[@]}" --jobs 2 > "$tmp/cv2" 2> "$tmp/cvlog2" || { cat "$tmp/cvlog2"; fail "--cv --jobs 2"; }
cat "$tmp/cv1"
cmp -s "$tmp/cv1" "$tmp/cv2" || fail "--jobs changed the cross-validated figures"
grep -q "^cv fold 0/5 (190 documents" "$tmp/cv1" || fail "fold 0 is not documents 0, 5, 10..."
grep -q "^cv fold 3/5 (189 documents" "$tmp/cv1" || fail "fold 3 is not documents 3, 8, 13..."
grep -q "^cv fold 1/5" "$tmp/cv1" && fail "a fold not asked for was run"
# By blocks: fold 0 is the first 190 documents, whose tokens differ in
# number from those of documents 0, 5, 10...
"$bin/pl_train_ner" "${cv[@]}" --cv-blocks --cv-folds 0 > "$tmp/cvb" 2> "$tmp/cvblog" ||
  { cat "$tmp/cvblog"; fail "--cv-blocks"; }
grep -q "^cv fold 0/5 (190 documents, 39371 tokens)" "$tmp/cvb" || fail "fold 0 by blocks: $(cat "$tmp/cvb")"
f1=$(grep "^cv pooled:" "$tmp/cv1" | sed 's/.*F1 \([0-9]*\)\..*/\1/')
[ "${f1:-0}" -ge 80 ] || fail "one epoch cross-validated scored only $f1 F1"
echo "ok"
