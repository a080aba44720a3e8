#!/bin/bash
# Sampled mode against exact mode: under one steady pipelined load, an exact
# redlat runs for 10 s, then a sampled one; the exact p50 and p99 must fall
# within the 95% ranges the sampled report states (plus Redis's 1 us clock
# tick). One after the other, not at once: two tracers on one probe would
# run both programs on every hit inside the sampled windows and slow just
# those commands. The sampled run must also have stayed within its budget:
# it probed only part of the time.
# Windows are samples in time, so the ranges hold for a steady load: the
# three commands run side by side from separate clients, on a keyspace
# filled beforehand (a first SET pass grows and rehashes the dict).
. "$(dirname "$0")/lib.sh"
PORT=7312
[ "$(nproc)" -ge 2 ] || fail "needs two CPUs (Redis on one, the clients on the other)"
progs_before=$(redlat_progs)
start_redis $PORT
PID=$REDIS_PID
# Redis alone on CPU 0, the clients on CPU 1: on two CPUs, clients that
# preempt Redis mid-command make its execution tail depend on the moment
taskset -pc 0 "$PID" >/dev/null
R="redis-cli -p $PORT"
redis-benchmark -p $PORT -n 2000 -t lpush -q >/dev/null	# mylist for lrange
redis-benchmark -p $PORT -n 100000 -r 10000 -t set -P 16 -q >/dev/null
# (-t lrange_100 would alternate with the LPUSH that fills its list)
for cmd in "lrange mylist 0 99" "get key:__rand_int__" "set key:__rand_int__ v"; do
	taskset -c 1 redis-benchmark -p $PORT -l -P 16 -c 8 -r 10000 -q $cmd >/dev/null 2>&1 &
	PIDS+=("$!")
done
sleep 1
run_redlat "$TMP/exact.json" -p "$PID" --exact --json -d 10
wait_pid "$REDLAT_PID" || fail "exact redlat failed: $(cat "$TMP/exact.json.err")"
# a 20% budget gives five to ten windows in 15 s (gaps of 1.7-3.6 s were
# seen here under this load), enough to see how much
# single windows differ (on this VM the lrange tail switches between two
# states for seconds at a time, traced or not)
run_redlat "$TMP/sampled.json" -p "$PID" --json -d 15 --overhead-budget 20
wait_pid "$REDLAT_PID" || fail "sampled redlat failed: $(cat "$TMP/sampled.json.err")"

# lrange runs in the load but is not compared: on this VM its whole
# distribution switches between two states for seconds at a time, in exact
# runs as in sampled ones (p50 3.0 or 5.0 us, p99 5 or 30 us), so two 10 s
# runs one after the other do not share it. get and set do.
$PY "$ROOT/tests/integration/compare.py" pcts "$TMP/exact.json" "$TMP/sampled.json" \
	get:p50_ns,p90_ns,p99_ns set:p50_ns,p90_ns,p99_ns \
	|| fail "sampled percentiles outside their stated error"
$PY - "$TMP/sampled.json" <<'PYEOF' || fail "sampled mode did not sample"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["sampling"]
share = s["attached_s"] / d["duration_s"]
print(f"  sampled: attached {s['attached_s']:.2f} s of {d['duration_s']:.1f} s in {s['windows']} windows")
sys.exit(0 if 0 < share < 0.5 and s["windows"] >= 4 else 1)
PYEOF
assert_text_restored "$PID"
assert_no_progs "$progs_before" "after the runs"
