#!/bin/bash
# A traced redis-server exits mid-run (the test kills it; redlat never
# does). redlat keeps what it gathered: alone, it ends by itself with the
# report; with another target alive it keeps running. Both reports (text
# and --json) say that the target ended and hold its counts, equal to the
# INFO commandstats read just before the kill.
. "$(dirname "$0")/lib.sh"
P1=7341 P2=7342 P3=7343
private_binary

load() {	# load PORT: some commands of several kinds
	redis-benchmark -p "$1" -n 20000 -P 16 -r 1000 -t set,get,incr,lpush -q >/dev/null \
		|| fail "redis-benchmark failed on port $1"
	for _ in $(seq 50); do echo "CONFIG GET maxmemory"; done | redis-cli -p "$1" >/dev/null
}

# stop PID SIGNAL: the test's own redis-server, reaped
stop_redis() {
	kill -"$2" "$1"
	wait "$1" 2>/dev/null
}

# 1. The only target is killed: redlat ends by itself, exit 0, text report.
start_redis $P1
A=$REDIS_PID
redis-cli -p $P1 info commandstats >"$TMP/a.before"
run_redlat "$TMP/a.txt" -p "$A" --exact
record_ids "$REDLAT_PID" "$TMP/ids.a"
load $P1
redis-cli -p $P1 info commandstats >"$TMP/a.after"	# traced: redlat is running
stop_redis "$A" KILL
wait_pid "$REDLAT_PID" || fail "redlat exited with an error when its target ended: $(cat "$TMP/a.txt.err")"
grep -q "pid $A ended" "$TMP/a.txt.err" || fail "redlat did not say that pid $A ended: $(cat "$TMP/a.txt.err")"
grep -q "pid $A.*the process ended during the run" "$TMP/a.txt" || fail "the text report does not say that pid $A ended"
$PY "$ROOT/tests/integration/compare.py" counts "$TMP/a.before" "$TMP/a.after" "$TMP/a.txt" "$A" 1 \
	|| fail "the text report's counts of the killed instance disagree with its last INFO commandstats"
note "alone: redlat ended by itself with the report, counts equal to the last INFO"

# 2. One of two targets is killed: redlat keeps tracing the other.
start_redis $P2
B=$REDIS_PID
start_redis $P3
C=$REDIS_PID
redis-cli -p $P2 info commandstats >"$TMP/b.before"
redis-cli -p $P3 info commandstats >"$TMP/c.before"
run_redlat "$TMP/bc.json" -p "$B" -p "$C" --exact --json
record_ids "$REDLAT_PID" "$TMP/ids.bc"
load $P2
redis-cli -p $P2 info commandstats >"$TMP/b.after"
stop_redis "$B" KILL
for _ in $(seq 40); do grep -q "pid $B ended" "$TMP/bc.json.err" && break; sleep 0.1; done
grep -q "pid $B ended" "$TMP/bc.json.err" || fail "redlat did not notice that pid $B ended"
sleep 1
kill -0 "$REDLAT_PID" 2>/dev/null || fail "redlat stopped although pid $C is still traced"
load $P3
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/bc.json.err")"
redis-cli -p $P3 info commandstats >"$TMP/c.after"
$PY - "$TMP/bc.json" "$B" "$C" <<'EOF' || fail "the JSON report does not say which instance ended"
import json, sys
d = json.load(open(sys.argv[1]))
ended = {i["pid"]: i["ended"] for i in d["instances"]}
assert ended == {int(sys.argv[2]): True, int(sys.argv[3]): False}, ended
EOF
check_report_json "$TMP/bc.json"
$PY "$ROOT/tests/integration/compare.py" counts "$TMP/b.before" "$TMP/b.after" "$TMP/bc.json" "$B" 1 \
	|| fail "the killed instance's counts disagree with its last INFO commandstats"
$PY "$ROOT/tests/integration/compare.py" counts "$TMP/c.before" "$TMP/c.after" "$TMP/bc.json" "$C" 0 \
	|| fail "the surviving instance's counts disagree with its INFO commandstats"
assert_text_restored "$C"
note "one of two: redlat kept tracing the other; JSON counts of both equal to INFO"

# 3. Sampled mode, the target shut down cleanly (SIGTERM): the same.
stop_redis "$C" TERM
start_redis $P1
D=$REDIS_PID
timeout 20 redis-benchmark -p $P1 -l -P 16 -t get -q >/dev/null 2>&1 &
bench=$!
PIDS+=("$bench")
run_redlat "$TMP/d.txt" -p "$D"
record_ids "$REDLAT_PID" "$TMP/ids.d"
sleep 3
stop_redis "$D" TERM
wait_pid "$REDLAT_PID" || fail "sampled redlat exited with an error when its target ended: $(cat "$TMP/d.txt.err")"
kill "$bench" 2>/dev/null
wait "$bench" 2>/dev/null
grep -q "pid $D.*the process ended during the run" "$TMP/d.txt" || fail "the sampled report does not say that pid $D ended"
grep -q "^get " "$TMP/d.txt" || fail "the sampled report lost the get commands it gathered"
note "sampled: ended by itself after a clean shutdown, with what it sampled"
for f in "$TMP"/ids.*; do assert_ids_gone "$f" "redlat's programs or links left after the targets ended"; done
