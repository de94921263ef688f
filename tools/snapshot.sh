#!/usr/bin/env bash
# Records what users see, so that a change meant to alter no behaviour can be
# checked byte for byte: the JSON `pressline process` prints for the seeds,
# the CNN/DailyMail dev rows and trafilatura's pages (timing fields removed),
# the figures of `pressline eval ner|summary|extract`, and the model files'
# hashes. Usage: tools/snapshot.sh BUILD_DIR OUT_DIR, then diff -r two OUT_DIRs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd); out=$2
data=${PL_DATA_DIR:-$top/../shared/data}
bin=$build/bin/pressline
mkdir -p "$out"
# Timing fields differ from run to run; nothing else may.
untime() {
  python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    for k in ("received_at", "published_at"):
        m.pop(k, None)
    for s in m.get("stages", []):
        s.pop("us", None)
    print(json.dumps(m, ensure_ascii=False, sort_keys=True))'
}
cd "$top"
"$bin" process tests/fixtures/seeds/*.txt ../shared/seeds/*.txt 2>&1 | untime > "$out/seeds.jsonl"
# The CNN/DailyMail rows as files of their own, as a user would drop them.
rows=$build/snapshot-cnndm
rm -rf "$rows"; mkdir -p "$rows"
python3 - "$data/cnndm/dev.jsonl" "$rows" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    open(f"{sys.argv[2]}/{r['id']}.txt", "w", encoding="utf-8").write(r["article"])
PY
(cd "$rows" && "$bin" process ./*.txt 2>/dev/null || true) | untime > "$out/cnndm.jsonl"
ext=$("$top/tools/extract-data.sh" --dumps)
(cd "$(dirname "$ext")" && "$bin" process html/eval/* html/cache/* 2>/dev/null || true) | untime > "$out/pages.jsonl"
"$bin" eval ner "$data/conll2003/dev.txt" > "$out/eval-ner.txt" 2>&1
"$bin" eval summary "$data/cnndm/dev.jsonl" > "$out/eval-summary.txt" 2>&1
"$bin" eval extract "$ext" > "$out/eval-extract.txt" 2>&1
"$bin" eval extract "$ext" --pages "$(dirname "$ext")/dumps" > "$out/eval-extract-dumps.txt" 2>&1
sha256sum plugins/entities/ner.model plugins/summarize/weights.h > "$out/models.sha256"
wc -l "$out"/*.jsonl
