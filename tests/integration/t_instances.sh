#!/bin/bash
# Many instances at once: four redis-servers, three running one binary and
# the fourth another (a copy: another inode), traced by one redlat in exact
# mode. Each is reported apart, with its own port and binary, and its counts
# equal its own INFO commandstats; a BGSAVE on one of the three sharing a
# binary is filed under that one alone (the rdbSave probe is placed once per
# binary, for all its processes), and one on the other binary under it.
. "$(dirname "$0")/lib.sh"
PORTS=(7337 7338 7339 7334)
private_binary
mkdir -p "$TMP/other"
cp "$REDIS_BIN" "$TMP/other/redis-server" || fail "cannot copy redis-server"
RPIDS=()
for i in 0 1 2 3; do
	if [ $i = 3 ]; then REDIS_BIN=$TMP/other/redis-server start_redis ${PORTS[$i]}
	else start_redis ${PORTS[$i]}; fi
	RPIDS+=("$REDIS_PID")
done
[ "$(stat -c %i "$TMP/bin/redis-server")" != "$(stat -c %i "$TMP/other/redis-server")" ] || fail "one inode"
bpf_mark

for i in 0 1 2 3; do redis-cli -p ${PORTS[$i]} info commandstats > "$TMP/before.$i"; done
run_redlat "$TMP/report.json" --exact --json -p "${RPIDS[0]}" -p "${RPIDS[1]}" -p "${RPIDS[2]}" -p "${RPIDS[3]}"
# a different load on each, all at once
kinds=(lpush hset incr sadd)
for i in 0 1 2 3; do
	redis-benchmark -p ${PORTS[$i]} -n $((4000 * (i + 1))) -P 8 -r 1000 -t set,get,${kinds[$i]} -q >/dev/null &
	PIDS+=("$!")
done
wait "${PIDS[@]: -4}" || fail "redis-benchmark failed"
for i in 1 3; do redis-cli -p ${PORTS[$i]} bgsave >/dev/null; done
for i in 1 3; do
	for _ in $(seq 100); do
		redis-cli -p ${PORTS[$i]} info persistence | grep -q 'rdb_bgsave_in_progress:0' && break
		sleep 0.1
	done
done
sleep 0.5
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
for i in 0 1 2 3; do redis-cli -p ${PORTS[$i]} info commandstats > "$TMP/after.$i"; done

for i in 0 1 2 3; do
	$PY "$ROOT/tests/integration/compare.py" counts "$TMP/before.$i" "$TMP/after.$i" "$TMP/report.json" \
		"${RPIDS[$i]}" || fail "instance on port ${PORTS[$i]} disagrees with its INFO commandstats"
done
$PY - "$TMP/report.json" "$TMP" "${PORTS[*]}" "${RPIDS[*]}" <<'PY' || fail "instances not reported apart"
import json, sys
doc = json.load(open(sys.argv[1]))
tmp, ports, pids = sys.argv[2], [int(p) for p in sys.argv[3].split()], [int(p) for p in sys.argv[4].split()]
insts = {i["pid"]: i for i in doc["instances"]}
assert sorted(insts) == sorted(pids), f"instances {sorted(insts)}, want {sorted(pids)}"
for k, (pid, port) in enumerate(zip(pids, ports)):
    inst = insts[pid]
    want_exe = f"{tmp}/{'other' if k == 3 else 'bin'}/redis-server"
    assert inst["ports"] == [port], f"pid {pid}: ports {inst['ports']}, want [{port}]"
    assert inst["exe"] == want_exe, f"pid {pid}: exe {inst['exe']}, want {want_exe}"
    forks = inst["stalls"]["forks"]
    works = [f.get("child_work", {}).get("function") for f in forks]
    want = ["rdbSave"] if k in (1, 3) else []
    assert works == want, f"pid {pid} (port {port}): forks' child work {works}, want {want}"
    n = sum(c["execution"]["count"] for c in inst["commands"])
    print(f"  pid {pid} port {port} {inst['exe'].replace(tmp, '$TMP')}: {n} commands, forks {works}")
PY
for p in "${RPIDS[@]}"; do assert_text_restored "$p"; done
assert_no_orphans "programs of redlat left loaded"
