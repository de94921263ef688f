#!/usr/bin/env bash
# presslined --check refuses a configured folder that is a file, a tcp://
# port outside 1..65535, a non-loopback http.listen without
# http.allow_remote and an unknown watch.mode, naming the key; both binaries answer --version with
# the project's version.
set -u
build=${PL_BUILD_DIR:?}
src=${PL_SOURCE_DIR:?}
dir=$(mktemp -d /tmp/pressline-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
version=$(sed -n 's/^project(pressline VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$version" ] || { echo "FAIL: no project(VERSION) in CMakeLists.txt"; exit 1; }

for bin in presslined pressline; do
  out=$("$build/bin/$bin" --version 2>&1); rc=$?
  [ "$rc" -eq 0 ] || { fail "$bin --version exited $rc: $out"; continue; }
  [ "$out" = "$bin $version" ] || fail "$bin --version printed \"$out\", not \"$bin $version\""
done

# check KEY JSON: --check on the configuration JSON must exit 1 naming KEY.
check() {
  local key=$1 json=$2
  printf '%s\n' "$json" >"$dir/config.json"
  out=$(cd "$dir" && "$build/bin/presslined" --check --config "$dir/config.json" 2>&1); rc=$?
  [ "$rc" -eq 1 ] || { fail "--check with $json exited $rc, not 1: $out"; return; }
  case $out in *"\"$key\""*) ;; *) fail "--check with $json does not name \"$key\": $out" ;; esac
}

: >"$dir/a-file"
check inbox '{"inbox":"./a-file"}'
check outbox '{"outbox":"./a-file"}'
check failed '{"failed":"./a-file/below"}'
check spool '{"spool":"./a-file"}'
check publish.endpoint '{"publish":{"endpoint":"tcp://127.0.0.1:99999"}}'
check publish.endpoint '{"publish":{"endpoint":"tcp://127.0.0.1:0"}}'
check publish.replay_endpoint '{"publish":{"replay_endpoint":"tcp://127.0.0.1:abc"}}'
check publish.replay_endpoint '{"publish":{"replay_endpoint":"tcp://127.0.0.1"}}'
check http.listen '{"http":{"listen":"0.0.0.0:5558"}}'
check http.listen '{"http":{"listen":"127.0.0.1:0"}}'
check watch.mode '{"watch":{"mode":"fanotify"}}'
# The folders are missing, not files: the daemon creates them, so this passes.
printf '{"inbox":"./new/inbox","publish":{"endpoint":"tcp://[::1]:65535"}}\n' >"$dir/config.json"
out=$(cd "$dir" && "$build/bin/presslined" --check --config "$dir/config.json" 2>&1) ||
  fail "--check refused a valid configuration: $out"
# pressline process runs the chain once: its stories stage (no "db" given)
# remembers only this run, and leaves no spool folder where it was run.
mkdir "$dir/run"
printf 'Ministers met in Brussels on Tuesday to talk about the budget for next year.\n' >"$dir/a.txt"
out=$(cd "$dir/run" && "$build/bin/pressline" process "$dir/a.txt" "$dir/a.txt" 2>&1) ||
  fail "pressline process failed: $out"
case $out in *'"story":'*) ;; *) fail "pressline process gave no story: $out" ;; esac
[ -z "$(ls -A "$dir/run")" ] || fail "pressline process left $(ls -A "$dir/run") behind"
[ "$failures" -eq 0 ] || exit 1
echo "ok"
