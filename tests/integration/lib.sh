# Shared helpers of redlat's integration tests (bash). Each test starts its
# own redis-server on 127.0.0.1 with its own port and directory, and stops
# only what it started, by pid.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REDLAT=${REDLAT:-$ROOT/redlat}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/redlat-test.XXXXXX)
PIDS=()

cleanup() {
	local p
	# the stall lab's redis-server and mount, when a test used it
	if declare -F lab_cleanup >/dev/null; then lab_cleanup; fi
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "  $*" >&2; }

# The redis-server start_redis runs. private_binary gives the test a copy of
# its own (another inode): the probes that redlat places in every process of
# a binary (rdbSave, ...) then come only from this test's redlat, not from
# another run on the host, and the text check sees only this test's probes.
REDIS_BIN=redis-server
private_binary() {
	mkdir -p "$TMP/bin"
	cp "$(readlink -f "$(command -v redis-server)")" "$TMP/bin/redis-server" || fail "cannot copy redis-server"
	REDIS_BIN=$TMP/bin/redis-server
}

# start_redis PORT [extra args...]: sets REDIS_PID (call it directly, not in
# $(...): the pid must be remembered here to be stopped)
start_redis() {
	local port=$1; shift
	local dir=$TMP/redis-$port
	redis-cli -p "$port" ping >/dev/null 2>&1 && fail "port $port is taken by another server"
	mkdir -p "$dir"
	"$REDIS_BIN" --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
		--daemonize no --logfile "$dir/log" "$@" >/dev/null 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || fail "redis-server on port $port exited: $(tail -3 "$dir/log")"
		redis-cli -p "$port" ping >/dev/null 2>&1 && { REDIS_PID=$pid; return 0; }
		sleep 0.05
	done
	fail "redis-server on port $port did not start: $(tail -3 "$dir/log")"
}

# run_redlat OUT ARGS...: starts redlat in the background, waits until it
# traces; sets REDLAT_PID
run_redlat() {
	local out=$1; shift
	"$REDLAT" "$@" >"$out" 2>"$out.err" &
	REDLAT_PID=$!
	PIDS+=("$REDLAT_PID")
	for _ in $(seq 200); do
		grep -q "tracing" "$out.err" 2>/dev/null && return 0
		kill -0 "$REDLAT_PID" 2>/dev/null || fail "redlat exited early: $(cat "$out.err")"
		sleep 0.05
	done
	fail "redlat did not start tracing: $(cat "$out.err")"
}

wait_pid() {
	local p=$1
	for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return $?; }; sleep 0.1; done
	fail "pid $p did not exit"
}

# redlat's BPF program names
export REDLAT_PROG_RE='slowlog_site|skip_entry|skip_return|sys_enter|sys_exit|calib_|proc_fork|proc_exit|sched_switch|sched_wakeup|page_fault|fork_entry|fork_return|repl_entry|repl_return|persist_|cow_return|libc_fork|cycle_|sync_entry|sync_return'

# BPF programs of redlat still loaded (by their names)
redlat_progs() {
	bpftool prog list 2>/dev/null | grep -cE "$REDLAT_PROG_RE" || true
}

# Checks by BPF object id, which other redlat runs on the host cannot
# disturb as they disturb a count of programs.
# bpf_mark: remember the highest program and link ids loaded now
bpf_mark() {
	BPF_MARK=$($PY "$ROOT/tests/integration/bpf_ids.py" mark) || fail "bpftool cannot list programs"
}

# assert_no_orphans WHAT: no program of redlat's loaded since bpf_mark (or
# link to one) is left that no process holds (freed after an RCU grace
# period once its last fd closes: allow 5 s)
assert_no_orphans() {
	local out
	for _ in $(seq 50); do
		# shellcheck disable=SC2086
		out=$($PY "$ROOT/tests/integration/bpf_ids.py" orphans $BPF_MARK) && return 0
		sleep 0.1
	done
	fail "$1: $out"
}

# record_ids PID FILE: the programs and links PID holds (run while it traces)
record_ids() {
	$PY "$ROOT/tests/integration/bpf_ids.py" held "$1" >"$2"
	grep -q '^prog ' "$2" || fail "no BPF program found among the fds of pid $1"
}

# assert_ids_gone FILE WHAT: none of the recorded programs and links is loaded
assert_ids_gone() {
	local out
	for _ in $(seq 50); do
		out=$($PY "$ROOT/tests/integration/bpf_ids.py" gone "$1") && return 0
		sleep 0.1
	done
	fail "$2: $out"
}

# assert_no_uprobe_events PID WHAT: no tracefs uprobe of that redlat pid
# (libbpf names legacy ones libbpf_PID_...); tracefs is mounted for the
# check when it is not already
assert_no_uprobe_events() {
	local dir=/sys/kernel/tracing mnt=""
	if [ ! -e $dir/uprobe_events ]; then
		mnt=$TMP/tracefs
		mkdir -p "$mnt" && mount -t tracefs nodev "$mnt" || fail "cannot mount tracefs"
		dir=$mnt
	fi
	local left
	left=$(grep -c "libbpf_$1_" "$dir/uprobe_events")
	[ -n "$mnt" ] && umount "$mnt"
	[ "$left" = 0 ] || fail "$2: $left uprobe_events of redlat pid $1 left"
}

# assert_no_progs BEFORE WHAT: redlat's programs are gone (freed after an
# RCU grace period once their last link closes: allow 5 s)
assert_no_progs() {
	for _ in $(seq 50); do [ "$(redlat_progs)" = "$1" ] && return 0; sleep 0.1; done
	fail "redlat's BPF programs are still loaded $2"
}

# assert_text_restored PID: the probed call sites in Redis's memory hold the
# file's bytes again (a uprobe left behind would show an int3 there)
assert_text_restored() {
	$PY "$ROOT/tests/integration/check_text.py" "$1" || fail "Redis's text still carries a breakpoint"
}

# check_report_json FILE: a live run's --json is valid against the schema,
# and --replay reads it back whole (writes it again byte for byte)
check_report_json() {
	"$ROOT/tests/schema/validate" "$1" || fail "$1 is not valid against tests/schema"
	"$REDLAT" --replay "$1" -j | cmp -s - "$1" || fail "--replay -j does not write $1 back unchanged"
	"$REDLAT" --replay "$1" > "$1.replayed" || fail "--replay $1 failed"
	grep -q "^Doctor" "$1.replayed" || fail "--replay $1 has no doctor section"
}
