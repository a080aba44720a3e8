#!/bin/bash
# Bad input: each case one line on stderr naming the problem, a non-zero
# exit, nothing on stdout, and nothing left loaded in the kernel.
. "$(dirname "$0")/lib.sh"
PORT=7313
start_redis $PORT
PID=$REDIS_PID
progs_before=$(redlat_progs)
n=0

# expect CODE PATTERN CMD...: run CMD, check exit code and the one line
expect() {
	local code=$1 pattern=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ "$rc" = "$code" ] || fail "'$*' exited $rc, not $code: $(cat "$TMP/err")"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "'$*' printed $(wc -l <"$TMP/err") lines: $(cat "$TMP/err")"
	grep -q "^redlat: .*$pattern" "$TMP/err" || fail "'$*' said '$(cat "$TMP/err")', not '$pattern'"
	[ -s "$TMP/out" ] && fail "'$*' wrote to stdout"
	[ "$(redlat_progs)" = "$progs_before" ] || fail "'$*' left BPF programs loaded"
	n=$((n + 1))
}

expect 2 "unknown option '--bogus'" "$REDLAT" --bogus
expect 2 "bad pid '12abc'" "$REDLAT" -p 12abc
expect 2 "bad pid '0'" "$REDLAT" -p 0
expect 2 "bad duration '-5'" "$REDLAT" -d -5
expect 2 "bad overhead budget '90'" "$REDLAT" --overhead-budget 90
expect 2 "bad interval 'x'" "$REDLAT" x
expect 2 "bad count '0'" "$REDLAT" 1 0
expect 2 "exclude each other" "$REDLAT" --exact --overhead-budget 5
expect 2 "bad threshold '0'" "$REDLAT" -t 0
expect 2 "--stalls-only probes no command" "$REDLAT" --stalls-only --exact
expect 2 "needs a value" "$REDLAT" -p
expect 1 "no process with pid 999999" "$REDLAT" -p 999999

sleep 30 &
SLEEP=$!
PIDS+=("$SLEEP")
expect 1 "pid $SLEEP (sleep, .*) is not a redis-server" "$REDLAT" -p $SLEEP

# no Redis at all: a new PID namespace shows none
expect 1 "no redis-server or valkey-server process is running" \
	unshare --pid --fork --mount-proc "$REDLAT" -d 1

# a process named redis-server whose binary has symbols, but not the one
# redlat needs
printf '#include <unistd.h>\nint main(void){sleep(30);return 0;}\n' > "$TMP/s.c"
mkdir -p "$TMP/fake"
cc -O2 -rdynamic -o "$TMP/fake/redis-server" "$TMP/s.c" || fail "cannot build the fake server"
"$TMP/fake/redis-server" &
FAKE=$!
PIDS+=("$FAKE")
expect 1 "has no symbol slowlogPushEntryIfNeeded" "$REDLAT" -p $FAKE

# a fully stripped (static, no .dynsym) binary named redis-server
mkdir -p "$TMP/stripped"
cc -static -O2 -o "$TMP/stripped/redis-server" "$TMP/s.c" && strip -s "$TMP/stripped/redis-server" \
	|| fail "cannot build the stripped fixture"
"$TMP/stripped/redis-server" &
STRIPPED=$!
PIDS+=("$STRIPPED")
expect 1 "has no symbols" "$REDLAT" -p $STRIPPED

# not privileged: an ordinary user, and root without CAP_BPF
expect 1 "missing capabilities CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$REDLAT" -p "$PID"
expect 1 "missing capabilities CAP_BPF" \
	setpriv --inh-caps=-all --bounding-set=-bpf,-sys_admin "$REDLAT" -p "$PID"

# the target was never touched
assert_text_restored "$PID"
redis-cli -p $PORT ping | grep -q PONG || fail "redis stopped answering"
note "$n bad inputs, each refused in one line"
