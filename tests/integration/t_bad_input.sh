#!/bin/bash
# Bad input: each case one line on stderr naming the problem, a non-zero
# exit, nothing on stdout, and nothing left in the kernel: no program of
# redlat's that no process holds (by id, so other redlat runs on the host do
# not disturb it) and no new uprobe_events entry.
. "$(dirname "$0")/lib.sh"
PORT=7331
private_binary
start_redis $PORT
PID=$REDIS_PID
bpf_mark
n=0

# the tracefs uprobe_events file, mounted for the read when it is not
uprobe_events() {
	if [ -e /sys/kernel/tracing/uprobe_events ]; then
		cat /sys/kernel/tracing/uprobe_events
	else
		mkdir -p "$TMP/tracefs" && mount -t tracefs nodev "$TMP/tracefs" || fail "cannot mount tracefs"
		cat "$TMP/tracefs/uprobe_events"
		umount "$TMP/tracefs"
	fi
}
uprobes_before=$(uprobe_events)

# expect CODE PATTERN CMD...: run CMD, check exit code and the one line
expect() {
	local code=$1 pattern=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ "$rc" = "$code" ] || fail "'$*' exited $rc, not $code: $(cat "$TMP/err")"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "'$*' printed $(wc -l <"$TMP/err") lines: $(cat "$TMP/err")"
	grep -q "^redlat: .*$pattern" "$TMP/err" || fail "'$*' said '$(cat "$TMP/err")', not '$pattern'"
	[ -s "$TMP/out" ] && fail "'$*' wrote to stdout"
	assert_no_orphans "'$*' left BPF programs loaded"
	[ "$(uprobe_events)" = "$uprobes_before" ] || fail "'$*' left uprobe_events entries"
	n=$((n + 1))
}

# flags and values: exit 2
expect 2 "unknown option '--bogus'" "$REDLAT" --bogus
expect 2 "bad pid '12abc'" "$REDLAT" -p 12abc
expect 2 "bad pid '0'" "$REDLAT" -p 0
expect 2 "needs a value" "$REDLAT" -p
expect 2 "bad duration '-5'" "$REDLAT" -d -5
expect 2 "bad duration '1e999'" "$REDLAT" -d 1e999
expect 2 "bad overhead budget '90'" "$REDLAT" --overhead-budget 90
expect 2 "bad overhead budget '0'" "$REDLAT" --overhead-budget 0
expect 2 "bad interval 'x'" "$REDLAT" x
expect 2 "bad interval '0'" "$REDLAT" 0
expect 2 "bad count '0'" "$REDLAT" 1 0
expect 2 "too many arguments ('3')" "$REDLAT" 1 2 3
expect 2 "bad threshold '0'" "$REDLAT" -t 0
expect 2 "bad threshold 'abc'" "$REDLAT" -t abc
expect 2 "exclude each other" "$REDLAT" --exact --overhead-budget 5
expect 2 "--stalls-only probes no command" "$REDLAT" --stalls-only --exact

# pids that are not a running Redis process: exit 1
expect 1 "no process with pid 999999" "$REDLAT" -p 999999
sleep 30 &
SLEEP=$!
PIDS+=("$SLEEP")
expect 1 "pid $SLEEP (sleep, .*) is not a redis-server" "$REDLAT" -p $SLEEP
# a zombie: a child that its parent (now sleep, which never waits) left
bash -c "sleep 0 & echo \$! > $TMP/zombie; exec sleep 30" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$TMP/zombie" ] && grep -q '^State:.*Z' "/proc/$(cat "$TMP/zombie")/status" 2>/dev/null && break; sleep 0.1; done
ZOMBIE=$(cat "$TMP/zombie")
expect 1 "pid $ZOMBIE (sleep) has exited: it is a zombie" "$REDLAT" -p "$ZOMBIE"
# a kernel thread: kthreadd's child, no executable
KTHREAD=$(ps -e -o pid=,ppid= | awk '$2 == 2 { print $1; exit }')
[ -n "$KTHREAD" ] || fail "no kernel thread found"
expect 1 "pid $KTHREAD (.*) is a kernel thread" "$REDLAT" -p "$KTHREAD"
# a thread of Redis (bio_close_file, ...), not the process
TID=$(ls "/proc/$PID/task" | grep -vx "$PID" | head -1)
[ -n "$TID" ] || fail "redis-server has no thread"
expect 1 "pid $TID is a thread (.*) of process $PID; give -p $PID" "$REDLAT" -p "$TID"

# no Redis at all: a new PID namespace shows none
expect 1 "no redis-server or valkey-server process is running" \
	unshare --pid --fork --mount-proc "$REDLAT" -d 1

# binaries redlat cannot time commands in
# a process named redis-server whose binary has symbols, but not the one
# redlat needs
printf '#include <unistd.h>\nint main(void){sleep(30);return 0;}\n' > "$TMP/s.c"
mkdir -p "$TMP/fake"
cc -O2 -rdynamic -o "$TMP/fake/redis-server" "$TMP/s.c" || fail "cannot build the fake server"
"$TMP/fake/redis-server" &
FAKE=$!
PIDS+=("$FAKE")
expect 1 "has no symbol slowlogPushEntryIfNeeded" "$REDLAT" -p $FAKE
# a real redis-server, running, whose .dynsym entry of that function was
# renamed (the way a build that does not export it would look)
mkdir -p "$TMP/renamed"
$PY -c "import sys; d = open(sys.argv[1], 'rb').read(); n = d.replace(b'slowlogPushEntryIfNeeded\0', b'slowlogPushEntryIfNeedeX\0'); assert n != d; open(sys.argv[2], 'wb').write(n)" \
	"$REDIS_BIN" "$TMP/renamed/redis-server" || fail "cannot patch the copy"
chmod 755 "$TMP/renamed/redis-server"
REDIS_BIN=$TMP/renamed/redis-server start_redis $((PORT + 4))
expect 1 "pid $REDIS_PID: .*/renamed/redis-server has no symbol slowlogPushEntryIfNeeded" "$REDLAT" -p "$REDIS_PID"
# a fully stripped (static, no .dynsym) binary named redis-server
mkdir -p "$TMP/stripped"
cc -static -O2 -o "$TMP/stripped/redis-server" "$TMP/s.c" && strip -s "$TMP/stripped/redis-server" \
	|| fail "cannot build the stripped fixture"
"$TMP/stripped/redis-server" &
STRIPPED=$!
PIDS+=("$STRIPPED")
expect 1 "has no symbols" "$REDLAT" -p $STRIPPED

# the host: not privileged, no BTF, no procfs
expect 1 "missing capabilities CAP_SYS_ADMIN (uprobes), CAP_SYS_PTRACE (.*), CAP_DAC_READ_SEARCH (.*): run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$REDLAT" -p "$PID"
expect 1 "missing capability CAP_SYS_ADMIN (uprobes)" \
	setpriv --inh-caps=-all --bounding-set=-sys_admin "$REDLAT" -p "$PID"
# a kernel without BTF, as redlat sees it: an empty /sys/kernel/btf in a
# mount namespace of its own (the host's is untouched)
expect 1 "this kernel has no BTF (/sys/kernel/btf/vmlinux)" \
	unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$0" -p "$1"' \
	"$REDLAT" "$PID"
expect 1 "/proc is not a procfs here" \
	unshare -m --propagation private sh -c 'mount -t tmpfs none /proc && exec "$0" -p "$1"' "$REDLAT" "$PID"

# a Redis that exits while redlat starts (it calibrates for about a second)
REDIS_BIN=$TMP/bin/redis-server start_redis $((PORT + 5))
VICTIM=$REDIS_PID
(sleep 0.3; kill -9 "$VICTIM") &
expect 1 "pid $VICTIM exited while redlat was starting; nothing was traced" "$REDLAT" -p "$VICTIM"

# the same pid twice is no error: traced once
"$REDLAT" -p "$PID" -p "$PID" -d 1 >"$TMP/out" 2>"$TMP/err" || fail "-p twice: $(cat "$TMP/err")"
grep -q "tracing 1 Redis instance " "$TMP/err" || fail "-p twice: $(cat "$TMP/err")"
[ "$(grep -c "^redis .*pid $PID," "$TMP/out")" = 1 ] || fail "-p twice: reported $(grep -c "pid $PID," "$TMP/out") times"
assert_no_orphans "-p twice left BPF programs loaded"

# the target was never touched
assert_text_restored "$PID"
redis-cli -p $PORT ping | grep -q PONG || fail "redis stopped answering"
note "$n bad inputs, each refused in one line, nothing left loaded; -p twice traced once"
