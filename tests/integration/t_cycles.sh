#!/bin/bash
# Redis's internal cycles against Redis's own latency monitor and counters:
# a burst of 300k keys expiring at once makes the active expire cycle run
# to its time limit. With latency-monitor-threshold 5, LATENCY HISTORY
# expire-cycle keeps the worst cycle of each second; redlat (-t 5) must
# have an expire-cycle event in each of those seconds, as long (to Redis's
# 1 ms resolution) or longer. Twice: in the default mode, then with
# --exact, where the fast cycles (from beforeSleep, probed with the
# commands, so in sampled mode only inside windows) are all seen too: the
# time of both kinds must then add up to what INFO's
# expire_cycle_cpu_milliseconds grew by (within 10% or 5 ms).
. "$(dirname "$0")/lib.sh"
PORT=7318
start_redis $PORT --enable-debug-command local --latency-monitor-threshold 5 --hz 10
PID=$REDIS_PID
R="redis-cli -p $PORT"
progs_before=$(redlat_progs)
cpu_ms() { $R info stats | tr -d '\r' | awk -F: '$1 == "expire_cycle_cpu_milliseconds" { print $2 }'; }

# burst [redlat options]
burst() {
	$R debug populate 300000 >/dev/null
	$R latency reset >/dev/null
	cpu0=$(cpu_ms)
	run_redlat "$TMP/report.json" -p "$PID" --json -t 5 "$@"
	$R eval "for i = 0, 299999 do redis.call('pexpire', 'key:' .. i, 1000) end" 0 >/dev/null \
		|| fail "EVAL failed"
	for _ in $(seq 100); do [ "$($R dbsize)" = 0 ] && break; sleep 0.1; done
	[ "$($R dbsize)" = 0 ] || fail "the keys did not expire"
	sleep 0.5
	kill -INT "$REDLAT_PID"
	cpu1=$(cpu_ms)
	wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
	check_report_json "$TMP/report.json"
	$R --json latency history expire-cycle > "$TMP/history.json"

	$PY - "$TMP/report.json" "$TMP/history.json" $((cpu1 - cpu0)) "$*" <<'PYEOF' || fail "expire cycles disagree with LATENCY HISTORY"
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
if sys.argv[4] == "--exact":
    fast = [c for c in st["cycles"] if c["event"] == "expire-cycle-fast"]
    check(fast and fast[0]["count"] > 0, f"expire-cycle-fast histogram: {fast[0]['count'] if fast else 0} cycles")
    mine = sum(c["total_ns"] for c in cyc + fast) / 1e6
    redis = int(sys.argv[3])
    check(abs(mine - redis) <= max(5, 0.1 * redis),
          f"slow and fast cycles took {mine:.1f} ms in all; INFO expire_cycle_cpu_milliseconds grew by {redis}")
sys.exit(1 if bad else 0)
PYEOF
}

burst
note "the same with --exact"
burst --exact
assert_no_progs "$progs_before" "after the run"
