#!/bin/bash
# A redis-server in another mount namespace, run from a path that exists
# only there (a tmpfs over /opt in that namespace), is found without -p and
# profiled: its binary reached through /proc/PID/root, its counts equal to
# its INFO commandstats. The host never sees the path; the tmpfs goes with
# the namespace when Redis is stopped.
. "$(dirname "$0")/lib.sh"
PORT=7335
private_binary
NSBIN=/opt/redlat-ns-$$/redis-server
[ -e "$(dirname $NSBIN)" ] && fail "$(dirname $NSBIN) exists on the host"
dir=$TMP/redis-$PORT
mkdir -p "$dir"
redis-cli -p $PORT ping >/dev/null 2>&1 && fail "port $PORT is taken by another server"
# unshare and sh exec: the job's pid is Redis's
unshare -m --propagation private sh -c 'mount -t tmpfs redlat-ns /opt && mkdir -p "$(dirname "$1")" &&
	cp "$0" "$1" && exec "$1" --port "$2" --bind 127.0.0.1 --dir "$3" --save "" --appendonly no \
	--daemonize no --logfile "$3/log"' "$REDIS_BIN" "$NSBIN" "$PORT" "$dir" >/dev/null 2>&1 &
PID=$!
PIDS+=("$PID")
for _ in $(seq 100); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p $PORT ping | grep -q PONG || fail "redis-server in the namespace did not start"
[ "$(readlink "/proc/$PID/exe")" = "$NSBIN" ] || fail "pid $PID runs $(readlink "/proc/$PID/exe"), not $NSBIN"
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink "/proc/$PID/ns/mnt")" ] || fail "Redis shares the host's mount namespace"
[ -e "$NSBIN" ] && fail "$NSBIN is visible on the host"
bpf_mark

redis-cli -p $PORT info commandstats > "$TMP/before"
run_redlat "$TMP/report.json" --exact --json
grep -q "skipping: pid $PID" "$TMP/report.json.err" && fail "$(cat "$TMP/report.json.err")"
redis-benchmark -p $PORT -n 20000 -P 8 -r 1000 -t set,get,lpush -q >/dev/null || fail "redis-benchmark failed"
sleep 0.5
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
redis-cli -p $PORT info commandstats > "$TMP/after"
$PY "$ROOT/tests/integration/compare.py" counts "$TMP/before" "$TMP/after" "$TMP/report.json" "$PID" \
	|| fail "the namespaced Redis disagrees with its INFO commandstats"
$PY - "$TMP/report.json" "$PID" "$NSBIN" "$PORT" <<'PY' || fail "the namespaced Redis is not reported as it runs"
import json, sys
doc = json.load(open(sys.argv[1]))
inst = [i for i in doc["instances"] if i["pid"] == int(sys.argv[2])][0]
assert inst["exe"] == sys.argv[3], inst["exe"]
assert inst["ports"] == [int(sys.argv[4])], inst["ports"]
assert inst["version"] == "7.0.15", inst["version"]
print(f"  pid {sys.argv[2]} {inst['exe']} (another mount namespace), version {inst['version']}, "
      f"{sum(c['execution']['count'] for c in inst['commands'])} commands; "
      f"{len(doc['instances'])} instances found on the host")
PY
assert_text_restored "$PID"
assert_no_orphans "programs of redlat left loaded"
# the namespace and its tmpfs end with Redis
kill "$PID"
wait_pid "$PID"
grep -q redlat-ns /proc/self/mountinfo && fail "the namespace's tmpfs is mounted on the host"
[ -e "$(dirname $NSBIN)" ] && fail "$(dirname $NSBIN) was left on the host"
true
