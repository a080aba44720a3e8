#!/bin/bash
# Sampled mode against exact mode on the same commands: an exact and a
# sampled redlat trace one redis-server under pipelined load at once; the
# sampled p50 and p99 must fall within the 95% ranges the sampled report
# states (plus Redis's 1 us clock tick). The sampled run must also have
# stayed within its budget: it probed only part of the time.
. "$(dirname "$0")/lib.sh"
PORT=7312
start_redis $PORT
PID=$REDIS_PID
R="redis-cli -p $PORT"
redis-benchmark -p $PORT -n 2000 -t lpush -q >/dev/null	# mylist for lrange
timeout 16 redis-benchmark -p $PORT -l -P 16 -c 20 -r 10000 -t lrange_100,get,set -q >/dev/null 2>&1 &
LOAD=$!
PIDS+=("$LOAD")
sleep 1
run_redlat "$TMP/exact.json" -p "$PID" --exact --json -d 10
EXACT=$REDLAT_PID
run_redlat "$TMP/sampled.json" -p "$PID" --json -d 10
wait_pid "$EXACT" || fail "exact redlat failed: $(cat "$TMP/exact.json.err")"
wait_pid "$REDLAT_PID" || fail "sampled redlat failed: $(cat "$TMP/sampled.json.err")"
kill "$LOAD" 2>/dev/null

$PY "$ROOT/tests/integration/compare.py" pcts "$TMP/exact.json" "$TMP/sampled.json" lrange get set \
	|| fail "sampled percentiles outside their stated error"
$PY - "$TMP/sampled.json" <<'PYEOF' || fail "sampled mode did not sample"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["sampling"]
share = s["attached_s"] / d["duration_s"]
print(f"  sampled: attached {s['attached_s']:.2f} s of {d['duration_s']:.1f} s in {s['windows']} windows")
sys.exit(0 if 0 < share < 0.5 and s["windows"] >= 2 else 1)
PYEOF
assert_text_restored "$PID"
