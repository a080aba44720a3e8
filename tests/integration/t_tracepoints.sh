#!/bin/bash
# The raw syscall tracepoints, which every syscall on the host pays for
# while they are attached, are on only while something needs them:
# - the default mode under load: in the sampling windows only (most of the
#   time they are off), and every iteration it times falls in a window;
# - --every-iteration: all the time;
# - --stalls-only: while the target has an AOF open, so that its writes
#   are timed (on within a second or two of CONFIG SET appendonly yes, off
#   again after appendonly no); its fsyncs are timed through the PLT
#   stubs' uprobes while they are off, by them while they are on.
. "$(dirname "$0")/lib.sh"
PORT=7319
R="redis-cli -p $PORT"

start_redis $PORT
PID=$REDIS_PID

# held_links PID NAME...: how many links redlat PID holds whose tracepoint
# or program has one of these names
held_links() {
	local pid=$1; shift
	$PY "$ROOT/tests/integration/bpf_ids.py" held "$pid" | awk '$1 == "link" { print $2 }' > "$TMP/links"
	bpftool prog list -j > "$TMP/progs"
	bpftool link list -j | $PY -c '
import json, sys
ids = {int(l) for l in open(sys.argv[1]) if l.strip()}
names = {p.get("id"): p.get("name", "") for p in json.load(open(sys.argv[2]))}
want = set(sys.argv[3:])
print(sum(1 for l in json.load(sys.stdin)
          if l.get("id") in ids and (l.get("tp_name") in want or names.get(l.get("prog_id")) in want)))' \
		"$TMP/links" "$TMP/progs" "$@"
}

# sys_tps PID: the syscall tracepoint links redlat PID holds
sys_tps() { held_links "$1" sys_enter sys_exit; }
# plt_probes PID: its links to the fsync PLT probes
plt_probes() { held_links "$1" sync_entry sync_return; }

# samples PID SECONDS: how many of 5 samples a second saw the tracepoints on
samples() {
	local on=0 n=0
	for _ in $(seq $(($2 * 5))); do
		[ "$(sys_tps "$1")" = 2 ] && on=$((on + 1))
		n=$((n + 1))
		sleep 0.2
	done
	echo "$on $n"
}

# default mode under a -P 1 load: off between windows
redis-benchmark -p $PORT -n 2000000000 -P 1 -c 50 -r 1000 -t get -q >/dev/null 2>&1 &
LOAD=$!
PIDS+=("$LOAD")
sleep 1
run_redlat "$TMP/default.json" -p "$PID" --json
read -r on n < <(samples "$REDLAT_PID" 6)
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/default.json.err")"
note "default mode under -P 1 load: tracepoints on in $on of $n samples"
[ "$on" -le $((n / 2)) ] || fail "default mode: the syscall tracepoints were on in $on of $n samples under load"
$PY - "$TMP/default.json" <<'PYEOF' || fail "default mode: iterations not said to be windowed, or none timed"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["sampling"].get("iterations") == "windows", r["sampling"]
loops = r["instances"][0]["stalls"]["main_thread"]["iterations"]["count"]
assert loops > 0, "no iteration timed in the windows"
PYEOF

# --every-iteration: on all the time
run_redlat "$TMP/every.json" -p "$PID" --json --every-iteration
read -r on n < <(samples "$REDLAT_PID" 3)
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/every.json.err")"
note "--every-iteration: tracepoints on in $on of $n samples"
[ "$on" = "$n" ] || fail "--every-iteration: the syscall tracepoints were on in $on of $n samples only"
$PY -c 'import json, sys; sys.exit("iterations" in json.load(open(sys.argv[1]))["sampling"])' "$TMP/every.json" \
	|| fail "--every-iteration: iterations said to be windowed"
kill "$LOAD"
wait "$LOAD" 2>/dev/null

# --stalls-only: on while an AOF is open
run_redlat "$TMP/stalls.txt" -p "$PID" --stalls-only
[ "$(sys_tps "$REDLAT_PID")" = 0 ] || fail "--stalls-only without an AOF: the syscall tracepoints are on"
[ "$(plt_probes "$REDLAT_PID")" -ge 2 ] || fail "--stalls-only without an AOF: no fsync PLT probe attached"
$R config set appendonly yes >/dev/null || fail "CONFIG SET appendonly yes failed"
for i in $(seq 50); do [ "$(sys_tps "$REDLAT_PID")" = 2 ] && break; sleep 0.1; done
[ "$(sys_tps "$REDLAT_PID")" = 2 ] || fail "--stalls-only: the syscall tracepoints are not on 5 s after the AOF opened"
note "--stalls-only: tracepoints on $((i / 10)).$((i % 10)) s after appendonly yes"
# the tracepoints time the fsyncs meanwhile: the PLT probes come off
[ "$(plt_probes "$REDLAT_PID")" = 0 ] || fail "--stalls-only with an AOF open: the fsync PLT probes are still on"
sleep 0.5
redis-benchmark -p $PORT -n 2000 -c 5 -t set -q >/dev/null 2>&1
$R config set appendonly no >/dev/null
for i in $(seq 50); do [ "$(sys_tps "$REDLAT_PID")" = 0 ] && break; sleep 0.1; done
[ "$(sys_tps "$REDLAT_PID")" = 0 ] || fail "--stalls-only: the syscall tracepoints are still on 5 s after appendonly no"
[ "$(plt_probes "$REDLAT_PID")" -ge 2 ] || fail "--stalls-only after appendonly no: the fsync PLT probes are not back"
# an fsync with the tracepoints off: the PLT stub's uprobe times it
$R config rewrite >/dev/null 2>&1 || true
$R save >/dev/null
sleep 0.3
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/stalls.txt.err")"
grep -qE '^aof-write-[a-z-]+ +main +aof +[1-9]' "$TMP/stalls.txt" || fail "no AOF write timed: $(sed -n '/AOF writes/,/^$/p' "$TMP/stalls.txt")"
grep -qE '^fsync +main +rdb +[1-9]' "$TMP/stalls.txt" || fail "the SAVE's fsync, with the tracepoints off, was not timed: $(sed -n '/^fsync,/,/^$/p' "$TMP/stalls.txt")"
note "$(grep -cE '^(fsync|fdatasync|aof-write)' "$TMP/stalls.txt") fsync and AOF write rows"
echo "ok"
