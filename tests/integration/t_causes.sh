#!/bin/bash
# Why Redis was slow, each cause provoked and recognised (exact mode, so
# that every command over the threshold is an event; --threshold 1 ms):
# - DEBUG SLEEP 0.05: an event-loop iteration of >= 50 ms, sleeping
#   dominates its breakdown;
# - KEYS over 300k keys: on-CPU dominates;
# - a CPU hog pinned to Redis's CPU under request load: run-queue wait
#   dominates the slow iterations, and the hog is named as the task that
#   had the CPU;
# - every SLOWLOG entry over the threshold is found among redlat's events
#   with the same command name and a duration within max(10%, 1 ms).
. "$(dirname "$0")/lib.sh"
PORT=7317
start_redis $PORT --enable-debug-command local --slowlog-log-slower-than 2000 --slowlog-max-len 1024
PID=$REDIS_PID
taskset -cp 1 "$PID" >/dev/null || fail "cannot pin redis-server"
R="redis-cli -p $PORT"
progs_before=$(redlat_progs)
$R debug populate 300000 >/dev/null
$R slowlog reset >/dev/null

run_redlat "$TMP/report.json" -p "$PID" --exact --json -t 1
$R debug sleep 0.05 >/dev/null
$R keys 'nomatch*' >/dev/null
$R sort nosuchlist >/dev/null
/usr/bin/python3 -c 'import ctypes; ctypes.CDLL(None).prctl(15, b"redlat-hog", 0, 0, 0)
while True: pass' &
HOG=$!
PIDS+=("$HOG")
taskset -cp 1 "$HOG" >/dev/null
sleep 0.3
# Redis busy (pipelined): it competes with the hog for whole time slices
taskset -c 0 redis-benchmark -p $PORT -t set,get -n 100000 -P 16 -c 8 -q >/dev/null 2>&1
kill "$HOG"
$R debug sleep 0.02 >/dev/null
sleep 0.3
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
check_report_json "$TMP/report.json"
$R --json slowlog get 1024 > "$TMP/slowlog.json" || fail "SLOWLOG GET failed"

$PY - "$TMP/report.json" "$TMP/slowlog.json" <<'PYEOF' || fail "causes not recognised"
import json, sys
d = json.load(open(sys.argv[1]))
st = d["instances"][0]["stalls"]
mt = st["main_thread"]
bad = 0
def check(ok, msg):
    global bad
    print(("  ok   " if ok else "  FAIL ") + msg, file=sys.stderr)
    bad += not ok
def dominant(e):
    b = e["breakdown"]
    parts = {"on-CPU": b["on_cpu_ns"], "run-queue": b["run_queue_ns"], "sleeping": b["sleeping_ns"],
             "blocked": b["blocked_ns"]}
    return max(parts, key=parts.get)
loops = [e for e in st["events"] if e["event"] == "event-loop"]
cmds = [e for e in st["events"] if e["event"] == "command"]
sleep = [e for e in loops if e["duration_ns"] >= 50e6]
check(sleep and dominant(sleep[0]) == "sleeping", "DEBUG SLEEP 0.05: an iteration of "
      + (f"{sleep[0]['duration_ns']/1e6:.1f} ms, mostly {dominant(sleep[0])}" if sleep else "none"))
keys = [e for e in cmds if e["command"] == "keys"]
check(keys and dominant(keys[0]) == "on-CPU", "KEYS: " +
      (f"{keys[0]['duration_ns']/1e6:.1f} ms, mostly {dominant(keys[0])}" if keys else "no event"))
thieves = mt["cpu_taken_by"]
rq = mt["run_queue"]["total_ns"]
check(thieves and thieves[0]["comm"] == "redlat-hog" and thieves[0]["ns"] >= 0.5 * rq,
      f"the hog named: {thieves[0]['comm'] if thieves else None}, "
      f"{thieves[0]['ns']/1e6 if thieves else 0:.0f} of {rq/1e6:.0f} ms of run-queue wait")
hogged = [e for e in loops if e["breakdown"].get("cpu_taken_by_comm") == "redlat-hog"]
runq_dom = [e for e in hogged if dominant(e) == "run-queue"]
check(len(hogged) >= 3 and len(runq_dom) >= 0.5 * len(hogged),
      f"{len(runq_dom)} of {len(hogged)} slow iterations under the hog mostly run-queue wait")
# SLOWLOG entries over the threshold: [id, time, usec, argv, addr, name]
slow = [e for e in json.load(open(sys.argv[2])) if e[2] >= 2000]
matched = 0
for e in slow:
    name, us = e[3][0].lower(), e[2]
    tol = max(0.1 * us, 1000)
    hit = [c for c in cmds if c["command"] == name and abs(c["duration_ns"] / 1e3 - us) <= tol]
    matched += bool(hit)
    check(bool(hit), f"SLOWLOG {name} {us} us: found as {[round(c['duration_ns']/1e3) for c in cmds if c['command'] == name]}")
check(len(slow) >= 3, f"{len(slow)} SLOWLOG entries over 2 ms, {matched} found")
sys.exit(1 if bad else 0)
PYEOF
assert_text_restored "$PID"
assert_no_progs "$progs_before" "after the run"
