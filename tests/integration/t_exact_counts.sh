#!/bin/bash
# Exact mode against INFO commandstats: >= 200k commands of >= 8 kinds,
# config get, multi/exec, eval with nested calls, blpop (blocked then served,
# and non-blocking), pipelined -P 16. Counts must be equal, means close.
# Then the same, shorter, with the uprobes as perf events (kernels before
# 6.6), forced by REDLAT_TEST_NO_UPROBE_MULTI.
. "$(dirname "$0")/lib.sh"
PORT=7311
start_redis $PORT
PID=$REDIS_PID
R="redis-cli -p $PORT"
progs_before=$(redlat_progs)

# kernel_has_umulti: 6.6 or later, which has uprobe_multi links
kernel_has_umulti() {
	local v
	v=$(uname -r | awk -F. '{ printf "%d", $1 * 1000 + $2 }')
	[ "$v" -ge 6006 ]
}
# links PID TYPE: how many links of that link_type redlat PID holds
links() { $PY "$ROOT/tests/integration/bpf_ids.py" link_types "$1" | awk -v t="$2" '$1 == t { n = $2 } END { print n + 0 }'; }

$R info commandstats > "$TMP/before"
run_redlat "$TMP/report.json" -p "$PID" --exact --json
if kernel_has_umulti; then
	# a uprobe perf event of one process costs it at each of its context
	# switches: none of them where the kernel has links instead
	[ "$(links "$REDLAT_PID" uprobe_multi)" -gt 0 ] || fail "no uprobe_multi link on a 6.6+ kernel"
	[ "$(links "$REDLAT_PID" perf)" = 0 ] || fail "$(links "$REDLAT_PID" perf) uprobe perf event links on a kernel with uprobe_multi"
fi
redis-benchmark -p $PORT -n 40000 -P 16 -r 10000 -t set,get,incr,lpush,hset,lrange_100 -q >/dev/null \
	|| fail "redis-benchmark failed"
for i in $(seq 100); do echo "CONFIG GET maxmemory"; done | $R >/dev/null
for i in $(seq 100); do printf 'MULTI\nSET tx:%d 1\nINCR tx:%d\nEXEC\n' $i $i; done | $R >/dev/null
for i in $(seq 100); do echo "EVAL \"redis.call('set','ev',ARGV[1]); return redis.call('get','ev')\" 0 $i"; done | $R >/dev/null
# blocked, then served by RPUSH from another client
for i in $(seq 20); do
	$R blpop q:$i 5 >/dev/null &
	b=$!
	for _ in $(seq 50); do [ "$($R info clients | grep -c 'blocked_clients:1')" = 1 ] && break; sleep 0.02; done
	$R rpush q:$i v >/dev/null
	wait $b
done
# not blocking: the list has data
for i in $(seq 20); do $R rpush nb v >/dev/null; $R blpop nb 1 >/dev/null; done
sleep 0.5
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
check_report_json "$TMP/report.json"
$R info commandstats > "$TMP/after"

$PY "$ROOT/tests/integration/compare.py" counts "$TMP/before" "$TMP/after" "$TMP/report.json" \
	|| fail "redlat disagrees with INFO commandstats"
calls=$($PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(c['execution']['count'] for c in d['instances'][0]['commands']))" "$TMP/report.json")
kinds=$($PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['instances'][0]['commands']))" "$TMP/report.json")
[ "$calls" -ge 200000 ] || fail "only $calls commands traced"
[ "$kinds" -ge 8 ] || fail "only $kinds kinds of command"
note "$calls commands of $kinds kinds, counts equal to commandstats"
grep -q '"config|get"' "$TMP/report.json" || fail "config|get not named as Redis names it"
assert_text_restored "$PID"
assert_no_progs "$progs_before" "after the run"

# the uprobes as perf events and BPF links on them (the fallback)
$R info commandstats > "$TMP/before2"
export REDLAT_TEST_NO_UPROBE_MULTI=1
run_redlat "$TMP/perf.json" -p "$PID" --exact --json
unset REDLAT_TEST_NO_UPROBE_MULTI
[ "$(links "$REDLAT_PID" perf)" -gt 0 ] || fail "fallback: no perf event link"
[ "$(links "$REDLAT_PID" uprobe_multi)" = 0 ] || fail "fallback: uprobe_multi links with REDLAT_TEST_NO_UPROBE_MULTI"
redis-benchmark -p $PORT -n 20000 -P 16 -r 1000 -t set,get -q >/dev/null || fail "redis-benchmark failed"
for i in $(seq 50); do printf 'MULTI\nINCR tx\nEXEC\n'; done | $R >/dev/null
for i in $(seq 20); do echo "CONFIG GET maxmemory"; done | $R >/dev/null
sleep 0.5
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "fallback: redlat exited with an error: $(cat "$TMP/perf.json.err")"
$R info commandstats > "$TMP/after2"
$PY "$ROOT/tests/integration/compare.py" counts "$TMP/before2" "$TMP/after2" "$TMP/perf.json" \
	|| fail "fallback (perf event links): redlat disagrees with INFO commandstats"
note "perf event links: counts equal to commandstats"
assert_text_restored "$PID"
assert_no_progs "$progs_before" "after the fallback run"
