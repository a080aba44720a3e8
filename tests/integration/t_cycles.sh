#!/bin/bash
# Redis's internal cycles against Redis's own latency monitor: a burst of
# 300k keys expiring at once makes the active expire cycle run to its time
# limit. With latency-monitor-threshold 5, LATENCY HISTORY expire-cycle
# keeps the worst cycle of each second; redlat (default mode, -t 5) must
# have an expire-cycle event in each of those seconds, as long (to Redis's
# 1 ms resolution) or longer.
. "$(dirname "$0")/lib.sh"
PORT=7318
start_redis $PORT --enable-debug-command local --latency-monitor-threshold 5 --hz 10
PID=$REDIS_PID
R="redis-cli -p $PORT"
progs_before=$(redlat_progs)
$R debug populate 300000 >/dev/null
$R latency reset >/dev/null

run_redlat "$TMP/report.json" -p "$PID" --json -t 5
$R eval "for i = 0, 299999 do redis.call('pexpire', 'key:' .. i, 1000) end" 0 >/dev/null \
	|| fail "EVAL failed"
for _ in $(seq 100); do [ "$($R dbsize)" = 0 ] && break; sleep 0.1; done
[ "$($R dbsize)" = 0 ] || fail "the keys did not expire"
sleep 0.5
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
check_report_json "$TMP/report.json"
$R --json latency history expire-cycle > "$TMP/history.json"

$PY - "$TMP/report.json" "$TMP/history.json" <<'PYEOF' || fail "expire cycles disagree with LATENCY HISTORY"
import json, sys
st = json.load(open(sys.argv[1]))["instances"][0]["stalls"]
hist = json.load(open(sys.argv[2]))	# [[unix time, ms], ...]
ev = [e for e in st["events"] if e["event"] == "expire-cycle"]
bad = 0
def check(ok, msg):
    global bad
    print(("  ok   " if ok else "  FAIL ") + msg, file=sys.stderr)
    bad += not ok
check(len(hist) >= 1, f"Redis recorded {len(hist)} seconds with an expire-cycle of 5 ms or more")
for t, ms in hist:
    # the cycle ended in second t (Redis stamps the sample when it ends)
    mine = [e for e in ev if int(e["time"] + e["duration_ns"] / 1e9) == t]
    worst = max((e["duration_ns"] / 1e6 for e in mine), default=0)
    check(worst >= ms - 1, f"second {t}: Redis's worst {ms} ms, redlat's {worst:.1f} ms ({len(mine)} events)")
cyc = [c for c in st["cycles"] if c["event"] == "expire-cycle"]
check(cyc and cyc[0]["count"] >= len(ev), f"expire-cycle histogram: {cyc[0]['count'] if cyc else 0} cycles")
sys.exit(1 if bad else 0)
PYEOF
assert_no_progs "$progs_before" "after the run"
