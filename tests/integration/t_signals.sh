#!/bin/bash
# Whatever ends redlat (Ctrl-C, SIGTERM, SIGHUP, SIGKILL, or a crash: SIGSEGV
# and SIGABRT), no probe stays in Redis's text, none of the BPF programs and
# links it held stays loaded, no uprobe_events entry of it is left, and Redis
# keeps serving. Programs and links are checked by the ids redlat held
# (/proc/PID/fdinfo), so other redlat runs on the host do not disturb it.
. "$(dirname "$0")/lib.sh"
PORT=7332
private_binary
start_redis $PORT
PID=$REDIS_PID
ulimit -c 0	# the crashes need no core file
bpf_mark

# stop_with SIG [redlat args...]: trace under load, record what redlat
# holds, send SIG, check what is left
stop_with() {
	local sig=$1; shift
	timeout 20 redis-benchmark -p $PORT -l -P 16 -t get -q >/dev/null 2>&1 &
	local load=$!
	PIDS+=("$load")
	run_redlat "$TMP/r.$sig" -p "$PID" "$@"
	sleep 1
	record_ids "$REDLAT_PID" "$TMP/ids.$sig"
	kill -"$sig" "$REDLAT_PID"
	wait_pid "$REDLAT_PID"
	local rc=$?
	kill "$load" 2>/dev/null; wait "$load" 2>/dev/null
	case $sig in
	INT|TERM|HUP)
		[ $rc = 0 ] || fail "redlat exited $rc on SIG$sig"
		grep -q "^get " "$TMP/r.$sig" || fail "no report of the load after SIG$sig" ;;
	*)	# not caught: the kernel ended it (128 + the signal's number)
		[ $rc = $((128 + $(kill -l "$sig"))) ] || fail "redlat exited $rc on SIG$sig" ;;
	esac
	assert_text_restored "$PID"
	assert_ids_gone "$TMP/ids.$sig" "after SIG$sig"
	assert_no_uprobe_events "$REDLAT_PID" "after SIG$sig"
	redis-cli -p $PORT ping | grep -q PONG || fail "redis stopped answering after SIG$sig"
	note "SIG$sig $*: $(grep -c '^prog' "$TMP/ids.$sig") programs and $(grep -c '^link' "$TMP/ids.$sig") links held, none left"
}

for sig in INT TERM HUP KILL SEGV ABRT; do
	stop_with $sig --exact
done
# sampled mode too, stopped with its probes coming and going, and a crash in it
stop_with TERM
stop_with SEGV
stop_with ABRT --stalls-only
assert_no_orphans "programs of redlat left loaded"
note "INT, TERM, HUP, KILL, SEGV and ABRT each left nothing behind, in exact, sampled and stalls-only mode"
