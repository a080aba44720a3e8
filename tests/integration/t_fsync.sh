#!/bin/bash
# fsyncs against the filesystem that served them: Redis's dir on slowfs
# (tools/lab.sh), whose fsyncs take DELAY ms and which counts them.
# - appendfsync always, then everysec: redlat's fsync + fdatasync count
#   equals slowfs's, every one took >= DELAY, and the thread is right (the
#   main thread under always, bio_aof under everysec);
# - everysec with fsyncs slower than Redis's 2 s patience: writes that
#   waited behind the background fsync are found (Redis's own referee:
#   aof_delayed_fsync).
. "$(dirname "$0")/lib.sh"
LAB_NO_TRAP=1
. "$ROOT/tools/lab.sh"
PORT=7316
DELAY=20
progs_before=$(redlat_progs)
lab_init || fail "lab_init"
lab_mount_slowfs 0 || fail "cannot mount slowfs"
lab_start_redis $PORT --appendonly yes --appendfsync always || fail "cannot start redis on slowfs"
PID=$LAB_REDIS_PID

# until slowfs has nothing in flight and Redis has nothing left to sync
quiesce() {
	sleep "${1:-0.3}"
	for _ in $(seq 100); do [ "$(lab_stats inflight)" = 0 ] && return 0; sleep 0.05; done
	fail "slowfs still serving an fsync"
}

# run POLICY LOAD...: trace while LOAD runs; JSON in $TMP/POLICY.json and
# slowfs's count in $TMP/POLICY.served
run() {
	local policy=$1 before after
	shift
	lab_cli config set appendfsync "$policy" >/dev/null || fail "config set appendfsync"
	quiesce 2.5
	run_redlat "$TMP/$policy.json" -p "$PID" --stalls-only --json
	before=$(lab_fsync_count)
	"$@"
	quiesce 2.5
	after=$(lab_fsync_count)
	kill -INT "$REDLAT_PID"
	wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/$policy.json.err")"
	check_report_json "$TMP/$policy.json"
	echo $((after - before)) > "$TMP/$policy.served"
}

always_load() { for i in $(seq 50); do lab_cli set k$i v >/dev/null; done; }
everysec_load() { timeout 4 redis-benchmark -p $PORT -t set -n 100000000 -c 4 -q >/dev/null 2>&1; true; }
blocked_load() { timeout 7 redis-benchmark -p $PORT -t set -n 100000000 -c 4 -q >/dev/null 2>&1; true; }

lab_set_delay $DELAY
run always always_load
run everysec everysec_load
delayed_before=$(lab_info aof_delayed_fsync)
lab_set_delay 2500
run blocked_everysec blocked_load
lab_set_delay 0
delayed=$(( $(lab_info aof_delayed_fsync) - delayed_before ))

$PY - "$TMP" $DELAY "$delayed" <<'EOF' || fail "fsyncs disagree with the filesystem"
import json, sys
tmp, delay_ns, delayed = sys.argv[1], int(sys.argv[2]) * 1e6, int(sys.argv[3])
bad = 0
def check(ok, msg):
    global bad
    print(("  ok   " if ok else "  FAIL ") + msg, file=sys.stderr)
    bad += not ok
def load(name):
    st = json.load(open(f"{tmp}/{name}.json"))["instances"][0]["stalls"]
    return st, int(open(f"{tmp}/{name}.served").read())
for policy, role in (("always", "main"), ("everysec", "bio_aof")):
    st, served = load(policy)
    syncs = [s for s in st["syncs"] if s["syscall"] in ("fsync", "fdatasync")]
    n = sum(s["count"] for s in syncs)
    check(n == served and n > 0, f"{policy}: redlat saw {n} fsync/fdatasync, slowfs served {served}")
    evs = [e for e in st["events"] if e["event"] in ("fsync", "fdatasync")]
    check(len(evs) == n, f"{policy}: one event per call ({len(evs)})")
    short = [e for e in evs if e["duration_ns"] < delay_ns]
    check(not short, f"{policy}: every call took >= {delay_ns/1e6:.0f} ms ({len(short)} shorter)")
    data = [s for s in syncs if s["file_class"] == "aof"]
    roles = {s["thread"] for s in data}
    check(roles == {role}, f"{policy}: the AOF's fsyncs ran on {sorted(roles)}, expected {role}")
    check(sum(s["count"] for s in data) >= 3, f"{policy}: {sum(s['count'] for s in data)} fsyncs of the AOF itself")
    if policy == "always":
        writes = [w for w in st["aof_writes"] if w["event"] == "aof-write-alone"]
        check(writes and writes[0]["count"] >= 50, "always: the main thread's AOF writes are aof-write-alone")
st, _ = load("blocked_everysec")
check(delayed > 0, f"Redis forced {delayed} writes past a pending fsync (aof_delayed_fsync)")
blocked = [e for e in st["events"] if e["event"] == "aof-write-pending-fsync" and e["blocked_behind_fsync"]]
check(len(blocked) >= 1, f"{len(blocked)} AOF writes seen waiting behind the background fsync")
check(all(e["duration_ns"] >= 100e6 for e in blocked), "each of them blocked the main thread >= 100 ms: "
      + ", ".join(f"{e['duration_ns']/1e6:.0f} ms" for e in blocked))
sys.exit(1 if bad else 0)
EOF
lab_cleanup
assert_no_progs "$progs_before" "after the run"
