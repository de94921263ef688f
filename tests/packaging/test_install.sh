#!/usr/bin/env bash
# cmake --install --prefix into a temp folder lays out the programs, the
# plugins with their models, the header, pressline-plugin.pc, the unit, the
# default configuration, the schemas, the docs and the Python client; a
# plugin built out of tree with only `cc $(pkg-config --cflags
# pressline-plugin) -shared -fPIC` against those files is loaded and run by
# the installed `pressline process` and the installed presslined; the
# installed default configuration works unedited; no installed file asks
# for memory both writable and executable (the unit's
# MemoryDenyWriteExecute); systemd-analyze verify accepts the installed unit
# (skipped, and said, when systemd-analyze is missing).
set -u
build=${PL_BUILD_DIR:?}
src=${PL_SOURCE_DIR:?}
tmp=$(mktemp -d /tmp/pressline-install-XXXXXX)
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
p=$tmp/prefix

if ! cmake --install "$build" --prefix "$p" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  echo "FAIL: cmake --install failed"
  exit 1
fi

for f in bin/presslined bin/pressline lib/pressline/clean.so lib/pressline/entities.so \
  lib/pressline/summarize.so lib/pressline/ner.model lib/pressline/blocks.model \
  include/pressline/plugin.h lib/pkgconfig/pressline-plugin.pc \
  lib/systemd/system/presslined.service etc/pressline/pressline.json \
  share/pressline/schema/article.schema.json share/pressline/schema/error.schema.json \
  share/doc/pressline/README.md lib/python3/dist-packages/pressline.py; do
  [ -f "$p/$f" ] || fail "cmake --install did not lay out $f"
done
[ -x "$p/bin/presslined" ] || fail "bin/presslined is not executable"
cmp -s "$src/config/pressline.json" "$p/etc/pressline/pressline.json" ||
  fail "the installed configuration is not config/pressline.json (the built-in default)"
cmp -s "$src/clients/python/pressline.py" "$p/lib/python3/dist-packages/pressline.py" ||
  fail "the installed Python client is not clients/python/pressline.py"

# pkg-config sees only the installed .pc file.
export PKG_CONFIG_LIBDIR=$p/lib/pkgconfig PKG_CONFIG_PATH=
abi=$(sed -n 's/^#define PL_PLUGIN_ABI_VERSION \([0-9]*\)u$/\1/p' "$src/include/pressline/plugin.h")
cflags=$(pkg-config --cflags pressline-plugin) || fail "pkg-config does not know pressline-plugin"
cflags=${cflags% } # pkg-config ends the line with a blank
[ "$cflags" = "-I$p/include" ] || fail "pkg-config --cflags gives \"$cflags\", not -I$p/include"
got=$(pkg-config --variable=abi_version pressline-plugin)
[ -n "$abi" ] && [ "$got" = "$abi" ] || fail "abi_version is \"$got\", plugin.h says \"$abi\""
got=$(pkg-config --variable=plugindir pressline-plugin)
[ "$got" = "$p/lib/pressline" ] || fail "plugindir is \"$got\", not $p/lib/pressline"
version=$(sed -n 's/^project(pressline VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
got=$(pkg-config --modversion pressline-plugin)
[ "$got" = "$version" ] || fail "pkg-config --modversion gives \"$got\", not $version"

# The plugin, out of tree: its source copied away from the tree, built
# with nothing but the installed header; CPATH and friends cleared so that
# nothing else can be found.
mkdir -p "$tmp/oot"
cp "$src/tests/packaging/shout.c" "$tmp/oot/"
if ! (cd "$tmp/oot" && env -u CPATH -u C_INCLUDE_PATH cc $cflags -shared -fPIC \
  -fvisibility=hidden -Wall -Wextra -Werror -o shout.so shout.c) 2>"$tmp/cc.log"; then
  cat "$tmp/cc.log"
  fail "the out-of-tree plugin does not build against the installed files"
fi
exports=$(nm -D --defined-only "$tmp/oot/shout.so" 2>/dev/null | awk '$2 ~ /[A-TV-Z]/ {print $3}')
[ "$exports" = "pressline_plugin" ] || fail "shout.so exports \"$exports\", not pressline_plugin alone"

# The installed programs run as the unit's MemoryDenyWriteExecute and
# NoNewPrivileges have them: no mapping both writable and executable, ever
# (the kernel's PR_SET_MDWE, which systemd itself uses where the kernel has
# it; inherited by the worker processes), so a plugin or library that needs
# one fails here. Kernels before 6.3 lack it: then only the ELF check below.
py=${PL_PYTHON3:-python3}
confined() { # <program> <args...>, in a subshell: the subshell becomes it
  exec "$py" -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 38, 65, 1
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
    sys.exit("cannot set no_new_privs")
libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0)
os.execv(sys.argv[1], sys.argv[1:])
' "$@"
}
if "$py" -c 'import ctypes, sys; l = ctypes.CDLL(None); sys.exit(l.prctl(65, 1, 0, 0, 0) != 0)'; then
  echo "the installed programs run with PR_SET_MDWE (MemoryDenyWriteExecute)"
else
  echo "PR_SET_MDWE skipped: this kernel does not have it; the ELF check stands alone"
fi

# The installed daemon checks and runs its own default configuration,
# unedited, from a folder of its own (the folders are relative to it).
mkdir -p "$tmp/run"
seed=$(ls "$src"/tests/fixtures/seeds/*.txt | head -n 1)
out=$(cd "$tmp/run" && "$p/bin/presslined" --check --config "$p/etc/pressline/pressline.json" 2>&1) ||
  fail "the installed presslined --check refuses the installed configuration: $out"
json=$(cd "$tmp/run" && confined "$p/bin/pressline" process "$seed" 2>"$tmp/process.log") ||
  fail "the installed pressline process failed: $(cat "$tmp/process.log")"
printf '%s\n' "$json" | "${PL_PYTHON3:-python3}" -c '
import json, sys
m = json.loads(sys.stdin.readline())
assert [s["name"] for s in m["stages"]] == ["clean", "entities", "summarize", "stories"], m["stages"]
assert m["entities"] and m["summary"]["text"], "no entities or summary: a model was not found"
assert m["story"]["size"] >= 1 and m["story"]["entities"], "no story from the stories stage"
' || fail "the installed default chain did not give entities, a summary and a story"

# A configuration that loads the out-of-tree plugin after the installed
# clean stage (a bare name: found in the installed plugin_dir).
cat >"$tmp/run/shout.json" <<EOF
{ "stages": [ { "name": "clean", "plugin": "clean" },
              { "name": "shout", "plugin": "$tmp/oot/shout.so" } ] }
EOF
check_shout() { # <json> <what>
  printf '%s\n' "$1" | "${PL_PYTHON3:-python3}" -c '
import json, sys
m = json.loads(sys.stdin.readline())
abi, what = int(sys.argv[1]), sys.argv[2]
assert m.get("shout", {}).get("abi") == abi, what + ": no shout field: %r" % m.get("shout")
assert m["shout"]["bytes"] > 0, what
st = [(s["name"], s["plugin"], s["version"]) for s in m["stages"]]
assert st[1] == ("shout", "shout", "1.2.3"), what + ": stages %r" % st
assert m["text"], what + ": no text"
' "$abi" "$2" || fail "$2 did not run the out-of-tree plugin"
}
json=$(cd "$tmp/run" && confined "$p/bin/pressline" process --config shout.json "$seed" 2>"$tmp/process.log") ||
  fail "pressline process with the out-of-tree plugin failed: $(cat "$tmp/process.log")"
check_shout "$json" "the installed pressline process"

# The installed presslined with it, on ipc endpoints (no ports to pick),
# the plugin in a worker process (the installed bin/pressline beside the
# daemon): a file dropped in the inbox comes out in the outbox with the
# field.
# Where the daemon has an HTTP endpoint, it is turned off: its default port
# is the same for every daemon, and tests run at once.
http=""
"$p/bin/presslined" --print-config | "$py" -c 'import json, sys; sys.exit("http" not in json.load(sys.stdin))' &&
  http='"http": { "listen": "" },'
cat >"$tmp/run/daemon.json" <<EOF
{ $http
  "publish": { "endpoint": "ipc://$tmp/run/pub", "replay_endpoint": "ipc://$tmp/run/replay" },
  "watch": { "settle_ms": 100, "rescan_interval_ms": 500 }, "durable": false,
  "stages": [ { "name": "clean", "plugin": "clean" },
              { "name": "shout", "plugin": "$tmp/oot/shout.so", "spawn": "process",
                "endpoint": "ipc://$tmp/run/shout" } ] }
EOF
(cd "$tmp/run" && confined "$p/bin/presslined" --config daemon.json) >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do [ -d "$tmp/run/inbox" ] && break; sleep 0.1; done
cp "$seed" "$tmp/run/inbox/.drop" && mv "$tmp/run/inbox/.drop" "$tmp/run/inbox/a.txt"
record=""
for _ in $(seq 300); do # 30 s at most
  record=$(ls "$tmp"/run/outbox/*.json 2>/dev/null | head -n 1)
  [ -n "$record" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$record" ]; then
  check_shout "$(cat "$record")" "the installed presslined"
else
  fail "the installed presslined published nothing in 30 s: $(cat "$tmp/daemon.log")"
fi
kill -TERM "$daemon_pid" 2>/dev/null
for _ in $(seq 150); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$daemon_pid" 2>/dev/null; then
  fail "the installed presslined did not stop within 15 s of SIGTERM"
else
  wait "$daemon_pid"
  rc=$?
  [ "$rc" -eq 0 ] || fail "the installed presslined exited $rc after SIGTERM: $(cat "$tmp/daemon.log")"
fi
daemon_pid=""

# Where the kernel cannot say it, the files do: an executable stack in any
# object loaded (the programs, the plugins, the libraries they link) or a
# segment writable and executable would need what MemoryDenyWriteExecute
# refuses.
objs="$p/bin/presslined $p/bin/pressline $p/lib/pressline/*.so $tmp/oot/shout.so"
libs=$(ldd $objs 2>/dev/null | awk '/=> \// {print $3}' | sort -u)
for o in $objs $libs; do
  hdr=$(readelf -lW "$o" 2>/dev/null) || { fail "readelf cannot read $o"; continue; }
  printf '%s\n' "$hdr" | awk '$1 == "GNU_STACK" && $(NF-1) ~ /E/ {bad=1} END {exit !bad}' &&
    fail "$o wants an executable stack"
  printf '%s\n' "$hdr" | awk '$1 == "LOAD" && $(NF-1) == "RWE" {bad=1} END {exit !bad}' &&
    fail "$o has a segment both writable and executable"
done

unit=$p/lib/systemd/system/presslined.service
grep -qx "ExecStart=$p/bin/presslined --config $p/etc/pressline/pressline.json" "$unit" ||
  fail "the installed unit does not start $p/bin/presslined on $p/etc/pressline: $(grep Exec "$unit")"
for line in Type=notify NotifyAccess=main WatchdogSec=30s 'ExecReload=/bin/kill -HUP $MAINPID' \
  User=pressline WorkingDirectory=/var/lib/pressline; do
  grep -qxF "$line" "$unit" || fail "the installed unit lacks $line"
done
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
else
  echo "systemd-analyze verify skipped: systemd-analyze is not installed"
fi

[ "$failures" -eq 0 ] || exit 1
echo "ok"
