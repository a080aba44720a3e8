#!/bin/bash
# Forks against Redis's own figures, on a dataset of >= 1 GB: three BGSAVEs,
# a BGREWRITEAOF and a foreground SAVE, traced in the default (sampled) mode.
# - fork events equal the INFO total_forks delta;
# - each parent stall within max(5%, 200 us) of latest_fork_usec read right
#   after that fork;
# - purposes: rdb for BGSAVE, aof-rewrite for BGREWRITEAOF;
# - children followed: their rdbSave / rewriteAppendOnlyFile and fsyncs are
#   attributed to the parent, their copy-on-write bytes equal
#   rdb_last_cow_size / aof_last_cow_size;
# - SAVE shows as rdbSave on the main thread.
. "$(dirname "$0")/lib.sh"
PORT=7312
start_redis $PORT --enable-debug-command local
PID=$REDIS_PID
R="redis-cli -p $PORT"
info() { $R info "$1" | tr -d '\r' | sed -n "s/^$2://p"; }
wait_idle() {
	for _ in $(seq 600); do
		[ "$(info persistence rdb_bgsave_in_progress)$(info persistence aof_rewrite_in_progress)" = 00 ] && return 0
		sleep 0.1
	done
	fail "the background save did not end"
}
progs_before=$(redlat_progs)

$R debug populate 1000000 key 1000 >/dev/null || fail "DEBUG POPULATE failed"
used=$(info memory used_memory)
[ "$used" -ge 1073741824 ] || fail "dataset is only $used bytes"
note "dataset: $used bytes"
forks_before=$(info stats total_forks)

run_redlat "$TMP/report.json" -p "$PID" --json
: > "$TMP/expect"
for what in bgsave bgsave bgsave bgrewriteaof; do
	$R $what >/dev/null || fail "$what failed"
	echo "$what $(info stats latest_fork_usec)" >> "$TMP/expect"
	wait_idle
done
rdb_cow=$(info persistence rdb_last_cow_size)
aof_cow=$(info persistence aof_last_cow_size)
$R save >/dev/null || fail "SAVE failed"
forks_after=$(info stats total_forks)
sleep 0.3
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
check_report_json "$TMP/report.json"

$PY - "$TMP/report.json" "$TMP/expect" "$((forks_after - forks_before))" "$rdb_cow" "$aof_cow" <<'EOF' || fail "forks disagree with Redis"
import json, sys
d = json.load(open(sys.argv[1]))
expect = [l.split() for l in open(sys.argv[2])]
nforks, rdb_cow, aof_cow = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
st = d["instances"][0]["stalls"]
forks = [f for f in st["forks"] if f["seen"]]
bad = 0
def check(ok, msg):
    global bad
    print(("  ok   " if ok else "  FAIL ") + msg, file=sys.stderr)
    bad += not ok
check(len(forks) == nforks, f"{len(forks)} fork events, INFO total_forks delta {nforks}")
for f, (what, usec) in zip(forks, expect):
    redis_ns = int(usec) * 1000
    tol = max(0.05 * redis_ns, 200e3)
    purpose = "rdb" if what == "bgsave" else "aof-rewrite"
    check(abs(f["stall_ns"] - redis_ns) <= tol,
          f"{what}: stall {f['stall_ns']/1e3:.0f} us, latest_fork_usec {usec} (tolerance {tol/1e3:.0f} us)")
    check(f["purpose"] == purpose, f"{what}: purpose {f['purpose']}")
    check(f["rss_bytes"] >= 1 << 30 and f["pgtable_bytes"] > 0,
          f"{what}: RSS {f['rss_bytes']} and page tables {f['pgtable_bytes']} read at the fork")
    check(f.get("exited") and f.get("exit_status") == 0, f"{what}: child {f['child_pid']} exited with 0")
    work = "rdbSave" if what == "bgsave" else "rewriteAppendOnlyFile"
    check(f.get("child_work", {}).get("function") == work, f"{what}: the child's {work} was timed")
    check(f.get("rating") in ("terrible", "poor", "good", "excellent"), f"{what}: rated {f.get('rating')}")
last_rdb = [f for f, (w, _) in zip(forks, expect) if w == "bgsave"][-1]
last_aof = [f for f, (w, _) in zip(forks, expect) if w == "bgrewriteaof"][-1]
check(last_rdb.get("cow_bytes") == rdb_cow, f"last BGSAVE copied {last_rdb.get('cow_bytes')} bytes, rdb_last_cow_size {rdb_cow}")
check(last_aof.get("cow_bytes") == aof_cow, f"BGREWRITEAOF copied {last_aof.get('cow_bytes')} bytes, aof_last_cow_size {aof_cow}")
child_syncs = [s for s in st["syncs"] if s["thread"] == "fork-child" and s["file_class"] == "rdb"]
check(sum(s["count"] for s in child_syncs) >= 3, "the children's fsyncs of the RDB are the parent's")
saves = [e for e in st["events"] if e["event"] == "rdbSave" and e["thread"] == "main"]
check(len(saves) == 1, f"SAVE seen as rdbSave on the main thread ({len(saves)})")
sys.exit(1 if bad else 0)
EOF
assert_text_restored "$PID"
assert_no_progs "$progs_before" "after the run"
