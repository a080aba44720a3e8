#!/bin/bash
# --follow: a traced redis-server stops and a new one starts on the same
# port; redlat keeps running, traces the new one as an instance of its own
# marked as the restart, and both instances' counts equal their INFO
# commandstats. Then an instance with no TCP port (a unix socket only) is
# followed by its binary, and an older server of the same binary that was
# already running is not taken for its restart.
. "$(dirname "$0")/lib.sh"
P1=7344 P2=7345
private_binary

# launch_redis NAME ARGS...: a redis-server of this test, without the ping
# that start_redis sends (a command redlat may or may not see); sets
# REDIS_PID
launch_redis() {
	local dir=$TMP/$1; shift
	mkdir -p "$dir"
	"$REDIS_BIN" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no --daemonize no \
		--logfile "$dir/log" "$@" >/dev/null 2>&1 &
	REDIS_PID=$!
	PIDS+=("$REDIS_PID")
}

# wait_line FILE PATTERN WHAT: redlat's stderr says it (10 s)
wait_line() {
	for _ in $(seq 100); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	fail "redlat did not say $3: $(cat "$1")"
}

load() {	# load PORT
	redis-benchmark -p "$1" -n 20000 -P 16 -r 1000 -t set,get,incr,lpush -q >/dev/null \
		|| fail "redis-benchmark failed on port $1"
	for _ in $(seq 50); do echo "CONFIG GET maxmemory"; done | redis-cli -p "$1" >/dev/null
}

# 1. Same port.
start_redis $P1
A=$REDIS_PID
redis-cli -p $P1 info commandstats >"$TMP/a.before"
run_redlat "$TMP/f.json" --follow --exact --json -p "$A"
record_ids "$REDLAT_PID" "$TMP/ids.f"
load $P1
redis-cli -p $P1 info commandstats >"$TMP/a.after"
kill -TERM "$A"
wait "$A" 2>/dev/null
wait_line "$TMP/f.json.err" "pid $A ended.*waiting for its restart" "that pid $A ended"
wait_line "$TMP/f.json.err" "no traced instance is running; waiting" "that it waits"
kill -0 "$REDLAT_PID" 2>/dev/null || fail "redlat --follow stopped when its only target ended"
launch_redis b --port $P1
B=$REDIS_PID
wait_line "$TMP/f.json.err" "pid $B restarted pid $A .*port $P1); tracing it" "that pid $B restarted pid $A"
record_ids "$REDLAT_PID" "$TMP/ids.f2"	# with the restart's probes
redis-cli -p $P1 info commandstats >"$TMP/b.before"
load $P1
redis-cli -p $P1 info commandstats >"$TMP/b.after"
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/f.json.err")"
$PY - "$TMP/f.json" "$A" "$B" <<'EOF' || fail "the report does not show the restart as its own instance"
import json, sys
d = json.load(open(sys.argv[1]))
a, b = int(sys.argv[2]), int(sys.argv[3])
got = [(i["pid"], i["ended"], i["restart_of"]) for i in d["instances"]]
assert got == [(a, True, None), (b, False, a)], got
assert d["instances"][1]["traced_since"] > 0
EOF
check_report_json "$TMP/f.json"
grep -q "restart of pid $A, traced from" "$TMP/f.json.replayed" || fail "--replay lost the restart's mark"
$PY "$ROOT/tests/integration/compare.py" counts "$TMP/a.before" "$TMP/a.after" "$TMP/f.json" "$A" 1 \
	|| fail "the first instance's counts disagree with its INFO commandstats"
$PY "$ROOT/tests/integration/compare.py" counts "$TMP/b.before" "$TMP/b.after" "$TMP/f.json" "$B" 2 \
	|| fail "the restarted instance's counts disagree with its INFO commandstats"
assert_text_restored "$B"
note "same port: pid $B followed pid $A, counts of both equal to INFO commandstats"

# 2. No TCP port: by the binary; an older server of that binary is no restart.
start_redis $P2
OLD=$REDIS_PID
launch_redis c --port 0 --unixsocket "$TMP/c.sock"
C=$REDIS_PID
for _ in $(seq 100); do redis-cli -s "$TMP/c.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
run_redlat "$TMP/g.txt" --follow -p "$C"
record_ids "$REDLAT_PID" "$TMP/ids.g"
sleep 1
{ kill -KILL "$C"; wait "$C"; } 2>/dev/null	# no job notice
wait_line "$TMP/g.txt.err" "pid $C ended" "that pid $C ended"
sleep 1	# the older server is there all along: it must not be taken
grep -q "restarted pid $C" "$TMP/g.txt.err" && fail "redlat took pid $OLD, running before, for the restart of $C"
launch_redis d --port 0 --unixsocket "$TMP/d.sock"
D=$REDIS_PID
wait_line "$TMP/g.txt.err" "pid $D restarted pid $C .*); tracing it" "that pid $D restarted pid $C"
record_ids "$REDLAT_PID" "$TMP/ids.g2"
redis-benchmark -s "$TMP/d.sock" -n 20000 -P 16 -t get -q >/dev/null || fail "redis-benchmark failed on pid $D"
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/g.txt.err")"
grep -q "pid $D .*restart of pid $C, traced from" "$TMP/g.txt" || fail "the text report does not mark pid $D as the restart of $C"
grep -qE "^redis [^ ]+, pid $OLD[ ,]" "$TMP/g.txt" && fail "the report has pid $OLD as an instance; it was not asked to trace it"
$PY - "$TMP/g.txt" "$D" <<'EOF' || fail "the restarted instance's get commands are not in the report"
import re, sys
text = open(sys.argv[1]).read()
part = text[re.search(rf"pid {sys.argv[2]}[ ,]", text).start():]
assert re.search(r"^get +\d+", part, re.M), part[:800]
EOF
note "no port: pid $D followed pid $C by its binary; pid $OLD, older, left alone"
assert_text_restored "$OLD"
for f in "$TMP"/ids.*; do assert_ids_gone "$f" "redlat's programs or links left after the runs"; done
