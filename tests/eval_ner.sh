#!/usr/bin/env bash
# pressline eval ner: a hand-written fixture scored end to end, and the
# CoNLL-2003 dev set when ../shared/data is there.
set -u
bin=${PL_BUILD_DIR:?}/bin/pressline
src=${PL_SOURCE_DIR:?}
out=$("$bin" eval ner "$src/tests/fixtures/conll/tiny.txt" --predict /tmp/pl-tiny.$$) || { echo "eval failed"; exit 1; }
echo "$out"
echo "$out" | grep -q "processed 14 tokens with 3 phrases; found: 3 phrases; correct: 3." || { echo "FAIL: tiny"; exit 1; }
# --predict: every token line with the predicted tag appended.
grep -q "^Putin NNP I-NP I-PER I-PER$" /tmp/pl-tiny.$$ || { echo "FAIL: predict file"; cat /tmp/pl-tiny.$$; exit 1; }
rm -f /tmp/pl-tiny.$$
dev="$src/../shared/data/conll2003/dev.txt"
if [ ! -r "$dev" ]; then
  echo "skipped the dev set: $dev is not there"
  exit 0
fi
out=$("$bin" eval ner "$dev") || { echo "eval on dev failed"; exit 1; }
echo "$out"
echo "$out" | grep -q "processed 51362 tokens with 5942 phrases" || { echo "FAIL: dev set not read whole"; exit 1; }
