#!/bin/bash
# Builds that this host has no Redis for, played by the synthetic servers
# of tests/compat/fakeredis.c (built by `make compat`), each traced with
# -p PID in exact mode: which strategy redlat picks for each hook, that the
# hooks are verified against what the tracepoints saw (requests answered,
# forks, children that saved), and what the report says.
#   direct    slowlogPushEntryIfNeeded called directly: its call sites
#   stripped  the same, .symtab stripped (.dynsym only): the same
#   pointer   only called through a pointer: its entry, and it fires
#   deadsite  a direct call that never runs: silent, then the entry
#   leftover  rdbSave a symbol that is never called: silent, reported
. "$(dirname "$0")/lib.sh"
BIN=$ROOT/build/compat
[ -x "$BIN/fake-direct" ] || fail "no synthetic servers in $BIN: run make compat"
bpf_mark
NPING=300

# start_fake VARIANT PORT: a copy named redis-server (redlat traces
# processes of that name) in a directory of its own; sets FAKE_PID
start_fake() {
	local dir=$TMP/$1
	mkdir -p "$dir"
	cp "$BIN/fake-$1" "$dir/redis-server"
	(cd "$dir" && exec ./redis-server "$2") >/dev/null 2>&1 &
	FAKE_PID=$!
	PIDS+=("$FAKE_PID")
	for _ in $(seq 100); do
		kill -0 "$FAKE_PID" 2>/dev/null || fail "fake $1 on port $2 exited (port taken?)"
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		sleep 0.05
	done
	fail "fake $1 did not listen on port $2"
}

# pings PORT N: N requests, each answered before the next
pings() {
	local l
	exec 3<>"/dev/tcp/127.0.0.1/$1" || fail "cannot connect to port $1"
	for _ in $(seq "$2"); do
		printf 'PING\r\n' >&3
		read -r l <&3
	done
	exec 3>&-
	[ "$l" = $'+PONG\r' ] || fail "port $1 answered '$l'"
}

# bgsave PORT DIR: a BGSAVE whose child has written DIR/dump.rdb and exited
bgsave() {
	local l
	rm -f "$2/dump.rdb"
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'BGSAVE\r\n' >&3
	read -r l <&3
	exec 3>&-
	case $l in "+Background saving started"*) ;; *) fail "BGSAVE on port $1: '$l'" ;; esac
	for _ in $(seq 100); do [ -s "$2/dump.rdb" ] && break; sleep 0.05; done
	[ -s "$2/dump.rdb" ] || fail "the BGSAVE child on port $1 wrote no dump.rdb"
	sleep 0.3	# the child exits and is reaped
}

# trace VARIANT PORT MODE...: the variant under load, traced; leaves
# $TMP/VARIANT.json, .err and .txt (the report replayed as text)
trace() {
	local v=$1 port=$2; shift 2
	start_fake "$v" "$port"
	run_redlat "$TMP/$v.json" -p "$FAKE_PID" --json "$@"
	pings "$port" $NPING
	if [ -n "${WAIT_SWITCH:-}" ]; then	# the switch to the entry is made
		for _ in $(seq 100); do grep -q "switched to entry" "$TMP/$v.json.err" && break; sleep 0.05; done
	fi
	bgsave "$port" "$TMP/$v"
	pings "$port" $NPING
	sleep 0.6	# a verification turn of the main loop passes
	kill -INT "$REDLAT_PID"
	wait_pid "$REDLAT_PID" || fail "redlat on $v failed: $(cat "$TMP/$v.json.err")"
	check_report_json "$TMP/$v.json"
	"$REDLAT" --replay "$TMP/$v.json" >"$TMP/$v.txt" || fail "--replay of $v failed"
	kill "$FAKE_PID"
}

# hook VARIANT NAME FIELD: a field of a hook in the report
hook() {
	$PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
h = [h for h in d["instances"][0]["hooks"] if h["hook"] == sys.argv[2]][0]
print(h[sys.argv[3]])' "$TMP/$1.json" "$2" "$3"
}

# pings_counted VARIANT: executions of "ping" in the report
pings_counted() {
	$PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(sum(c["execution"]["count"] for c in d["instances"][0]["commands"] if c["name"] == "ping"))' "$TMP/$1.json"
}

expect() {	# expect VARIANT HOOK FIELD VALUE
	local got
	got=$(hook "$1" "$2" "$3")
	[ "$got" = "$4" ] || fail "$1: hook $2 $3 is '$got', not '$4' ($(hook "$1" "$2" note))"
}

# a usual build, and its stripped copy: call sites, every hook verified
for v in direct:7371 stripped:7372; do
	trace "${v%:*}" "${v#*:}" --exact
	v=${v%:*}
	expect $v command strategy call-sites
	expect $v command verdict fired
	expect $v fork verdict fired
	expect $v fork expected 1
	expect $v rdbsave verdict fired
	expect $v cow verdict fired
	[ "$(pings_counted $v)" = $((2 * NPING)) ] || fail "$v: $(pings_counted $v) pings counted, not $((2 * NPING))"
	grep -q "^Probes not as in a usual build" "$TMP/$v.txt" && grep -qE '^  (command|fork|rdbsave|cow),' "$TMP/$v.txt" \
		&& fail "$v: the report calls a verified hook unusual: $(grep -A4 '^Probes not' "$TMP/$v.txt")"
	note "$v: call sites, command/fork/rdbSave/cow hooks fired; $((2 * NPING)) pings counted"
done
readelf -S "$BIN/fake-stripped" | grep -q '\.symtab' && fail "fake-stripped still has a .symtab"

# no direct call site: the entry, verified to fire, every ping counted
trace pointer 7373 --exact
expect pointer command strategy entry-no-caller
expect pointer command verdict fired
[ "$(pings_counted pointer)" = $((2 * NPING)) ] || fail "pointer: $(pings_counted pointer) pings counted"
grep -q "^  command, slowlogPushEntryIfNeeded: entry-no-caller, fired" "$TMP/pointer.txt" \
	|| fail "pointer: the report does not say the command hook is at the entry: $(head -12 "$TMP/pointer.txt")"
note "pointer: entry probe, fired, $((2 * NPING)) pings counted"

# a direct call site that never runs: found silent against the requests
# answered, replaced by the entry, which then counts the rest
WAIT_SWITCH=1 trace deadsite 7374 --exact
expect deadsite command strategy entry
expect deadsite command verdict fired
grep -q "switched to entry" <<<"$(hook deadsite command note)" || fail "deadsite: note '$(hook deadsite command note)'"
grep -q "slowlogPushEntryIfNeeded its 1 call site never fired over [0-9]* requests served: switched to entry" \
	"$TMP/deadsite.json.err" || fail "deadsite: no switch line on stderr: $(cat "$TMP/deadsite.json.err")"
n=$(pings_counted deadsite)
# the pings before the switch are lost; every one after it is counted
[ "$n" -ge "$NPING" ] && [ "$n" -lt $((2 * NPING)) ] || fail "deadsite: $n pings counted, not all $NPING after the switch"
note "deadsite: call site silent, switched to the entry: $n of $((2 * NPING)) pings counted ($NPING sent after the switch)"

# rdbSave kept as a symbol but never called: attached, found silent
# against the child's fsync of dump.rdb, and said to be lost
trace leftover 7376 --exact
expect leftover rdbsave strategy entry-no-caller
expect leftover rdbsave verdict silent
expect leftover rdbsave hits 0
expect leftover rdbsave expected 1
expect leftover command verdict fired
grep -q "^  rdbsave, rdbSave: entry-no-caller, silent (0 hits, 1 expected); never fired, expected 0 of 1 times: rdbSave times lost" \
	"$TMP/leftover.txt" || fail "leftover: the report does not say rdbSave is lost: $(grep -A6 '^Probes' "$TMP/leftover.txt")"
note "leftover: $(grep '^  rdbsave' "$TMP/leftover.txt")"

# by program id: other redlat runs on the host change a count by name
assert_no_orphans "programs of redlat left loaded after the compat runs"
echo "PASS t_compat"
