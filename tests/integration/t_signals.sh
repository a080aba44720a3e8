#!/bin/bash
# Whatever ends redlat (Ctrl-C, SIGTERM, SIGHUP, SIGKILL), no probe stays in
# Redis's text and none of its programs stays loaded; Redis keeps serving.
. "$(dirname "$0")/lib.sh"
PORT=7314
start_redis $PORT
PID=$REDIS_PID
progs_before=$(redlat_progs)
for sig in INT TERM HUP KILL; do
	timeout 20 redis-benchmark -p $PORT -l -P 16 -t get -q >/dev/null 2>&1 &
	load=$!
	PIDS+=("$load")
	run_redlat "$TMP/r.$sig" -p "$PID" --exact
	sleep 0.5
	kill -$sig "$REDLAT_PID"
	wait_pid "$REDLAT_PID"
	rc=$?
	kill "$load" 2>/dev/null; wait "$load" 2>/dev/null
	if [ $sig != KILL ]; then
		[ $rc = 0 ] || fail "redlat exited $rc on SIG$sig"
		grep -q "^get " "$TMP/r.$sig" || fail "no report of the load after SIG$sig"
	fi
	assert_text_restored "$PID"
	assert_no_progs "$progs_before" "after SIG$sig"
	redis-cli -p $PORT ping | grep -q PONG || fail "redis stopped answering after SIG$sig"
done
# sampled mode too, stopped with its probes coming and going
timeout 20 redis-benchmark -p $PORT -l -P 16 -t get -q >/dev/null 2>&1 &
load=$!
PIDS+=("$load")
run_redlat "$TMP/r.sampled" -p "$PID"
sleep 3
kill -TERM "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "sampled redlat exited with an error on SIGTERM"
kill "$load" 2>/dev/null; wait "$load" 2>/dev/null
assert_text_restored "$PID"
assert_no_progs "$progs_before" "after a sampled run"
note "INT, TERM, HUP and KILL each left nothing behind, in exact and sampled mode"
