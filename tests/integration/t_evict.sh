#!/bin/bash
# Eviction against Redis's own counters and latency monitor. Redis holds 12
# sets of 100k members (freeing one takes milliseconds) under
# allkeys-random; lowering maxmemory to half of what it uses makes it evict
# about half of them, on the commands that follow and from its eviction
# timer. Then, with every command probed (--exact):
# - the eviction-del histogram counts as many deletes as INFO's
#   evicted_keys grew by, and the eviction-cycle events' keys add up to
#   the same;
# - each second in LATENCY HISTORY eviction-del / eviction-cycle (threshold
#   1 ms, Redis keeps the worst of each second) has a redlat event of that
#   duration around it, to Redis's 1 ms resolution (+-10% or 1 ms);
# then the same provocation in the default (sampled) mode, on an idle
# Redis that the windows cover whole, must show the eviction-cycle events.
. "$(dirname "$0")/lib.sh"
PORT=7356
start_redis $PORT --maxmemory-policy allkeys-random --latency-monitor-threshold 1 --hz 10 \
	--lazyfree-lazy-eviction no
PID=$REDIS_PID
R="redis-cli -p $PORT"
progs_before=$(redlat_progs)

fill() {
	$R flushall >/dev/null
	$R config set maxmemory 0 >/dev/null
	for i in $(seq 12); do
		$R eval "for i = 1, 100000 do redis.call('sadd', KEYS[1], i .. ':' .. i) end" 1 "big:$i" \
			>/dev/null || fail "EVAL failed"
	done
	$R latency reset >/dev/null
}

# evict: maxmemory to half of the memory used, then commands until Redis is
# under it (each command, and Redis's eviction timer, evicts)
evict() {
	local used
	used=$($R info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
	$R config set maxmemory $((used / 2)) >/dev/null
	for _ in $(seq 50); do
		$R set probe x >/dev/null 2>&1
		sleep 0.1
		[ "$($R dbsize)" -le 7 ] && break
	done
}

evicted() { $R info stats | tr -d '\r' | awk -F: '$1 == "evicted_keys" { print $2 }'; }

# provoke OUT [redlat options]: fill, trace, evict; sets EVICTED (by INFO)
provoke() {
	local out=$1 ev0 ev1; shift
	fill
	ev0=$(evicted)
	run_redlat "$out" -p "$PID" --json -t 1 "$@"
	evict
	sleep 0.3
	kill -INT "$REDLAT_PID"
	wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$out.err")"
	ev1=$(evicted)
	check_report_json "$out"
	EVICTED=$((ev1 - ev0))
}

provoke "$TMP/exact.json" --exact
$R --json latency history eviction-del > "$TMP/del.json"
$R --json latency history eviction-cycle > "$TMP/cycle.json"
note "Redis evicted $EVICTED keys"
[ "$EVICTED" -ge 3 ] || fail "Redis evicted only $EVICTED keys: the test provoked nothing"

$PY - "$TMP/exact.json" "$TMP/del.json" "$TMP/cycle.json" "$EVICTED" <<'PYEOF' || fail "eviction disagrees with Redis"
import json, sys
st = json.load(open(sys.argv[1]))["instances"][0]["stalls"]
evicted = int(sys.argv[4])
bad = 0
def check(ok, msg):
    global bad
    print(("  ok   " if ok else "  FAIL ") + msg, file=sys.stderr)
    bad += not ok
cyc = {c["event"]: c for c in st["cycles"]}
dels = cyc.get("eviction-del", {}).get("count", 0)
check(dels == evicted, f"eviction-del histogram: {dels} deletes, INFO evicted_keys grew by {evicted}")
ev = st["events"]
keys = sum(e.get("keys_evicted", 0) for e in ev if e["event"] == "eviction-cycle")
check(keys == evicted, f"eviction-cycle events: {keys} keys evicted in all")
for name, path in (("eviction-del", sys.argv[2]), ("eviction-cycle", sys.argv[3])):
    hist = json.load(open(path))	# [[unix time, ms], ...]
    mine = [e for e in ev if e["event"] == name]
    check(len(hist) >= 1, f"Redis recorded {len(hist)} seconds with an {name} of 1 ms or more")
    for t, ms in hist:
        # Redis keeps the worst sample of each second, in whole ms (the
        # difference of two mstime() reads: within 1 ms of the span either
        # way); redlat must have that spike, ending in that second (+-1 s:
        # two clocks)
        near = [e["duration_ns"] / 1e6 for e in mine if abs(e["time"] + e["duration_ns"] / 1e9 - t - 0.5) <= 1.5]
        match = [d for d in near if ms - max(1, 0.1 * ms) <= d <= ms + 1 + max(1, 0.1 * ms)]
        check(match, f"{name}, second {t}: Redis's worst {ms} ms, redlat's {', '.join(f'{d:.2f}' for d in sorted(match or near)[-3:])} ms")
sys.exit(1 if bad else 0)
PYEOF

# the report names it, with the advice
$REDLAT --replay "$TMP/exact.json" > "$TMP/exact.txt" || fail "replay failed"
grep -q "eviction-cycle: .* latency spike" "$TMP/exact.txt" || fail "no eviction-cycle line in the doctor"
grep -q "lazyfree-lazy-eviction" "$TMP/exact.txt" || fail "no eviction advice: $(cat "$TMP/exact.txt")"

# default mode: the windows cover an idle Redis whole
provoke "$TMP/sampled.json"
$PY - "$TMP/sampled.json" "$EVICTED" <<'PYEOF' || fail "sampled mode missed the evictions"
import json, sys
d = json.load(open(sys.argv[1]))
st = d["instances"][0]["stalls"]
ev = [e for e in st["events"] if e["event"] == "eviction-cycle"]
keys = sum(e.get("keys_evicted", 0) for e in ev)
print(f"  sampled: {len(ev)} eviction-cycle events, {keys} keys of {sys.argv[2]} evicted", file=sys.stderr)
if not ev:
    print("  stats:", {k: v for k, v in d["stats"].items() if v}, d["sampling"], file=sys.stderr)
sys.exit(0 if ev and 0 < keys <= int(sys.argv[2]) else 1)
PYEOF
assert_no_progs "$progs_before" "after the runs"
