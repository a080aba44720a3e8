#!/bin/bash
# Privileges. redlat runs as an ordinary user (nobody) with CAP_SYS_ADMIN,
# CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH against a Redis of root's, names
# the capability that is missing when one is, and once attached keeps only
# what it still needs (read from /proc/PID/status while it runs): exact
# mode CAP_SYS_PTRACE alone; sampled and stalls-only modes CAP_SYS_ADMIN
# and CAP_DAC_READ_SEARCH too (sampled: its uprobes go on again every
# window; stalls-only: the syscall tracepoints go on when an AOF opens, and
# the fsync probes on the binary again when it closes; the binary is in
# this test's directory, closed to other users).
. "$(dirname "$0")/lib.sh"
PORT=7333
private_binary
start_redis $PORT
PID=$REDIS_PID
bpf_mark
CAP_DAC_READ_SEARCH=$((1 << 2)) CAP_SYS_PTRACE=$((1 << 19)) CAP_SYS_ADMIN=$((1 << 21))

# as_user CAPS CMD...: run CMD as nobody with CAPS (setpriv's +a,+b syntax)
as_user() {
	local caps=$1; shift
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$caps" --ambient-caps="$caps" "$@"
}

# cap_eff PID: the effective set, as a number
cap_eff() {
	echo $((16#$(awk '/^CapEff:/ { print $2 }' "/proc/$1/status")))
}

# run_as WHO WANT-CAPS MODE...: trace 3 s of load, check the effective set
# once attached and what the report found
run_as() {
	local who=$1 want=$2; shift 2
	local out=$TMP/r.$who.${1:-sampled}
	if [ "$who" = nobody ]; then
		REDLAT=setpriv run_redlat "$out" --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=+sys_admin,+sys_ptrace,+dac_read_search \
			--ambient-caps=+sys_admin,+sys_ptrace,+dac_read_search "$REDLAT" -p "$PID" -d 3 "$@"
	else
		run_redlat "$out" -p "$PID" -d 3 "$@"
	fi
	redis-benchmark -p $PORT -n 3000 -t get -q >/dev/null 2>&1
	# setpriv execs redlat: the pid is redlat's
	local eff
	eff=$(cap_eff "$REDLAT_PID")
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$REDLAT_PID/status")" = "$([ "$who" = nobody ] && echo 65534 || echo 0)" ] \
		|| fail "redlat does not run as $who"
	[ "$eff" = "$want" ] || fail "$who ${*:-sampled}: effective capabilities $(printf %#x "$eff") once attached, not $(printf %#x "$want")"
	wait_pid "$REDLAT_PID" || fail "redlat as $who $* failed: $(cat "$out.err")"
	grep -q "pid $PID, port $PORT " "$out" || fail "$who $*: no instance line with port $PORT: $(head -8 "$out")"
	note "as $who ${*:-(sampled)}: capabilities once attached $(printf %#x "$eff")"
}

run_as nobody $CAP_SYS_PTRACE --exact
grep -qE '^get +[0-9]+' "$TMP/r.nobody.--exact" || fail "as nobody, exact mode saw no get"
# --stalls-only attaches the syscall tracepoints when an AOF opens
run_as nobody $((CAP_SYS_PTRACE | CAP_SYS_ADMIN | CAP_DAC_READ_SEARCH)) --stalls-only
run_as nobody $((CAP_SYS_PTRACE | CAP_SYS_ADMIN | CAP_DAC_READ_SEARCH))
run_as root $CAP_SYS_PTRACE --exact
run_as root $((CAP_SYS_PTRACE | CAP_SYS_ADMIN | CAP_DAC_READ_SEARCH))

# each capability missing in turn: named, with why, nothing loaded
for missing in sys_admin sys_ptrace dac_read_search; do
	caps=+sys_admin,+sys_ptrace,+dac_read_search,+bpf,+perfmon
	caps=${caps/+$missing,/}
	want=CAP_$(echo $missing | tr a-z A-Z)
	as_user "$caps" "$REDLAT" -p "$PID" -d 1 >"$TMP/out" 2>"$TMP/err" && fail "redlat ran without $want"
	[ "$(cat "$TMP/err")" = "$(grep "missing capability $want (" "$TMP/err")" ] && [ -s "$TMP/err" ] \
		|| fail "without $want: '$(cat "$TMP/err")'"
	note "without $want: $(cat "$TMP/err")"
done
assert_no_orphans "programs of redlat left loaded"
assert_text_restored "$PID"
