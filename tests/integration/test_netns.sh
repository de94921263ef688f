#!/usr/bin/env bash
# Scale-out for real: the daemon in one network namespace, two worker
# processes for the entities stage in another, joined by a veth pair. Articles
# flow over tcp; one remote worker is killed with SIGKILL under load and
# nothing is lost. Skips (exit 77) where namespaces cannot be made.
set -u
build=${PL_BUILD_DIR:?}
src=${PL_SOURCE_DIR:?}
id=$$
nsa=plA$id nsb=plB$id va=plva$id vb=plvb$id
net=$((100 + id % 100))
ipa=10.$net.$((id % 250)).1 ipb=10.$net.$((id % 250)).2
dir=$(mktemp -d /tmp/pressline-netns-XXXXXX)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  ip netns pids "$nsa" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns pids "$nsb" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$nsa" 2>/dev/null
  ip netns del "$nsb" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- daemon log"; tail -30 "$dir/daemon.log"; echo "--- worker log"; tail -10 "$dir/workers.log"; exit 1; }

if ! { ip netns add "$nsa" && ip netns add "$nsb"; } 2>/dev/null; then
  echo "skipped: cannot create network namespaces here (needs root and iproute2)"
  exit 77
fi
ip link add "$va" type veth peer name "$vb" || fail "veth"
ip link set "$va" netns "$nsa" && ip link set "$vb" netns "$nsb" || fail "move veth"
ip -n "$nsa" addr add "$ipa/24" dev "$va" && ip -n "$nsb" addr add "$ipb/24" dev "$vb" || fail "addresses"
for ns in "$nsa" "$nsb"; do ip -n "$ns" link set lo up; done
ip -n "$nsa" link set "$va" up && ip -n "$nsb" link set "$vb" up || fail "links up"

cat > "$dir/config.json" <<JSON
{ "publish": {"endpoint": "tcp://127.0.0.1:5556", "replay_endpoint": "tcp://127.0.0.1:5557",
              "status_interval_ms": 100},
  "watch": {"settle_ms": 200}, "durable": false,
  "workers": {"heartbeat_ms": 100, "dead_after_ms": 600},
  "stages": [ {"name": "clean"},
              {"name": "entities", "spawn": "none", "endpoint": "tcp://$ipa:5601"},
              {"name": "remote_slow", "spawn": "none", "endpoint": "tcp://$ipa:5602",
               "plugin": "$build/tests/plugins/testkit.so"},
              {"name": "summarize"} ] }
JSON
(cd "$dir" && exec ip netns exec "$nsa" "$build/bin/presslined" --config config.json) 2> "$dir/daemon.log" &
pids+=($!)
for w in 1 2; do
  ip netns exec "$nsb" "$build/bin/pressline" worker --connect "tcp://$ipa:5601" --stage entities \
    --plugin "$build/lib/pressline/entities.so" --heartbeat-ms 100 2>> "$dir/workers.log" &
  pids+=($!)
  # A slow stage, so a worker is killed while it holds an article.
  ip netns exec "$nsb" "$build/bin/pressline" worker --connect "tcp://$ipa:5602" \
    --stage remote_slow --plugin "$build/tests/plugins/testkit.so" --options '{"sleep_ms":50}' \
    --heartbeat-ms 100 2>> "$dir/workers.log" &
  slow_pid=$!
  pids+=($!)
done
for _ in $(seq 50); do [ -d "$dir/inbox" ] && grep -q watching "$dir/daemon.log" && break; sleep 0.1; done
sleep 0.5

N=40
for i in $(seq 1 $N); do
  seed=$(ls "$src"/tests/fixtures/seeds/*.txt | sed -n "$(( (i % 5) + 1 ))p")
  { cat "$seed"; echo; echo "Scale-out copy $i."; } > "$dir/inbox/.n$i.tmp"
  mv "$dir/inbox/.n$i.tmp" "$dir/inbox/n$i.txt"
done
# Kill one remote worker while it holds an article (40 x 50 ms on 2 workers):
# once the first results are out, the slow stage is busy. Waiting for them,
# rather than a fixed time, keeps a loaded machine from killing it idle.
for _ in $(seq 300); do
  [ "$(ls "$dir/outbox" 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 0.05
done
kill -9 "$slow_pid" || fail "could not kill a worker"

for _ in $(seq 600); do
  n=$(ls "$dir/outbox" 2>/dev/null | wc -l)
  [ "$n" -ge "$N" ] && [ -z "$(ls -A "$dir/spool/work")" ] && break
  sleep 0.1
done
n=$(ls "$dir/outbox" | wc -l)
[ "$n" -eq "$N" ] || fail "$n of $N results in the outbox"
[ -z "$(ls -A "$dir/inbox")" ] || fail "files left in the inbox"
# Every result went through the remote entities stage and found names.
out=$(ip netns exec "$nsa" timeout 30 "$build/bin/pressline" sub --endpoint tcp://127.0.0.1:5556 \
      --replay tcp://127.0.0.1:5557 --since 0 --count $N --timeout 10) || fail "replay"
[ "$(printf '%s\n' "$out" | wc -l)" -eq "$N" ] || fail "replay returned the wrong count"
printf '%s\n' "$out" | "${PL_PYTHON3:-/usr/bin/python3}" -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    st = [s for s in d["stages"] if s["name"] == "entities"]
    assert st and st[0]["plugin"] == "entities", d["stages"]
    assert any(e["type"] == "PERSON" or e["type"] == "LOC" for e in d["entities"]), d["source"]
' || fail "results without the remote stage"
# The death is noticed dead_after_ms after the last heartbeat, which can be
# after the last result when the others finished the work.
for _ in $(seq 100); do grep -q "taken as dead" "$dir/daemon.log" && break; sleep 0.1; done
grep -q "taken as dead" "$dir/daemon.log" || fail "the killed worker was not noticed"
grep -q "a worker died holding an article" "$dir/daemon.log" || fail "the killed worker held no article"
echo "ok: $N articles over tcp between namespaces, a remote worker killed holding one, none lost"
