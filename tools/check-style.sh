#!/usr/bin/env bash
# The house style that a machine can check (../shared/STYLE.md): every C
# file of the repository laid out as .clang-format says, and no function
# longer than 120 lines (the tokenizer, one scanner, excepted). Prints each
# offence and exits 1 if there is any. Generated files are left out:
# plugins/summarize/weights.h is written by eval/train_summary.c.
# tools/test.sh runs this first.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v clang-format > /dev/null || { echo "check-style: clang-format is missing (tools/deps.sh)" >&2; exit 1; }
bad=0
files=$(git ls-files '*.c' '*.h' | grep -v -x -e 'plugins/summarize/weights.h')
for f in $files; do
  if ! clang-format --style=file "$f" | cmp -s - "$f"; then
    echo "check-style: $f differs from .clang-format (clang-format -i $f)"
    bad=1
  fi
done
# A function starts with a line that names it at column 0 and opens with
# "{" alone on the next line (Linux brace style, which .clang-format keeps).
python3 - $files <<'PY' || bad=1
import re, sys
LIMIT, EXEMPT = 120, {("lib/text/text.c", "pl_tokenize")}
bad = False
for path in sys.argv[1:]:
    if not path.endswith(".c"):
        continue
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    head = None
    for i, line in enumerate(lines):
        if line == "{" and head is None:
            j = i - 1
            while j > 0 and not re.match(r"^[A-Za-z_].*\(", lines[j]):
                j -= 1
            head = j
        elif line == "}" and head is not None:
            m = re.search(r"(\w+)\s*\(", lines[head])
            name = m.group(1) if m else "?"
            n = i - head + 1
            if n > LIMIT and (path, name) not in EXEMPT:
                print(f"check-style: {path}:{head + 1}: {name} is {n} lines (at most {LIMIT})")
                bad = True
            head = None
sys.exit(1 if bad else 0)
PY
exit $bad
