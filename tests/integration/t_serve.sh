#!/bin/bash
# --serve against a real Prometheus (Debian's): redlat --exact serves
# OpenMetrics on loopback, Prometheus scrapes it every second, and through
# Prometheus's HTTP API the series must exist and a command's count must
# equal the INFO commandstats delta. The raw exposition must pass promtool
# and the OpenMetrics parser of python3-prometheus-client; a taken port
# must be one line and exit 1; sampled and --stalls-only modes serve too.
. "$(dirname "$0")/lib.sh"
PORT=7321	# redis-server
SERVE=7322	# redlat --exact --serve
PROM=7323	# Prometheus
SERVE2=7324	# the sampled and stalls-only runs
command -v prometheus >/dev/null && command -v promtool >/dev/null \
	|| fail "prometheus and promtool are missing: run 'make deps'"
$PY -c 'import prometheus_client.openmetrics.parser' 2>/dev/null \
	|| fail "python3-prometheus-client is missing: run 'make deps'"
OM_ACCEPT='Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'

start_redis $PORT
PID=$REDIS_PID
R="redis-cli -p $PORT"

# calls CMD FILE: calls of CMD in a saved INFO commandstats (0 if absent)
calls() { sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p" "$2" | tr -d '\r' | grep . || echo 0; }
# info_field NAME: a field of INFO now
info_field() { $R info | sed -n "s/^$1:\([0-9]*\).*/\1/p" | tr -d '\r'; }
# promq EXPR: the value of each series of an instant query, one a line
promq() {
	curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$PROM/api/v1/query" | $PY -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "success", d
for s in d["data"]["result"]:
    print(s["value"][1])'
}
# promq1 EXPR: exactly one series, its value
promq1() {
	local v
	v=$(promq "$1") || fail "Prometheus query failed: $1"
	[ "$(printf '%s\n' "$v" | grep -c .)" = 1 ] || fail "expected one series for $1, got: '$v'"
	echo "$v"
}
# check_exposition URL OUTFILE: the raw text passes promtool, the
# OpenMetrics variant the Python client's OpenMetrics parser
check_exposition() {
	curl -sf "$1" -o "$2.txt" || fail "GET $1 failed"
	promtool check metrics < "$2.txt" > "$2.promtool" 2>&1 || fail "promtool check metrics: $(cat "$2.promtool")"
	curl -sf -H "$OM_ACCEPT" -D "$2.hdr" "$1" -o "$2.om" || fail "GET $1 (OpenMetrics) failed"
	grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$2.hdr" \
		|| fail "not served as OpenMetrics: $(grep -i content-type "$2.hdr")"
	[ "$(tail -n 1 "$2.om")" = "# EOF" ] || fail "the exposition does not end with # EOF"
	$PY -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
n = sum(len(f.samples) for f in text_string_to_metric_families(open(sys.argv[1]).read()))
print(n)' "$2.om" > "$2.n" 2>&1 || fail "OpenMetrics parser rejected the exposition: $(tail -3 "$2.n")"
}

$R info commandstats > "$TMP/before"
forks0=$(info_field total_forks)
run_redlat "$TMP/out" --exact --serve "127.0.0.1:$SERVE" -p "$PID"
grep -q "serving OpenMetrics on http://127.0.0.1:$SERVE/metrics" "$TMP/out.err" || fail "no serving line: $(cat "$TMP/out.err")"

# loopback only, and by redlat
listen=$(ss -Hltnp "sport = :$SERVE")
[ "$(printf '%s\n' "$listen" | grep -c .)" = 1 ] || fail "expected one listener on $SERVE: $listen"
[ "$(awk '{print $4}' <<<"$listen")" = "127.0.0.1:$SERVE" ] || fail "not bound to loopback only: $listen"
grep -q "pid=$REDLAT_PID," <<<"$listen" || fail "the listener is not redlat's: $listen"
note "listening: $(awk '{print $4}' <<<"$listen") (redlat pid $REDLAT_PID)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE/nothing")" = 404 ] || fail "a path other than /metrics was served"

# the same port again: one line, exit 1, nothing traced
"$REDLAT" --serve "127.0.0.1:$SERVE" -p "$PID" > "$TMP/dup.out" 2> "$TMP/dup.err"
rc=$?
[ $rc = 1 ] || fail "a taken port exited $rc, not 1"
[ "$(wc -l < "$TMP/dup.err")" = 1 ] || fail "a taken port is not one line: $(cat "$TMP/dup.err")"
grep -q "cannot serve metrics on 127.0.0.1:$SERVE: Address already in use" "$TMP/dup.err" \
	|| fail "unclear error for a taken port: $(cat "$TMP/dup.err")"
[ ! -s "$TMP/dup.out" ] || fail "a redlat that could not bind printed a report"
note "taken port: $(cat "$TMP/dup.err")"
# an address of no interface here: exit 1; a bad value: exit 2; one line each
ip -o addr | grep -q ' 10\.255\.255\.1/' && fail "10.255.255.1 is an address of this host: pick another"
for c in "10.255.255.1:$SERVE2 1 Cannot assign requested address" "localhost:$SERVE2 2 bad --serve address" \
	"$SERVE2:http 2 bad --serve port"; do
	set -- $c
	"$REDLAT" --serve "$1" -p "$PID" > "$TMP/bad.out" 2> "$TMP/bad.err"
	rc=$?
	shift
	[ "$rc" = "$1" ] || fail "--serve ${c%% *} exited $rc, not $1"
	shift
	[ "$(wc -l < "$TMP/bad.err")" = 1 ] && grep -q "$*" "$TMP/bad.err" \
		|| fail "--serve ${c%% *}: not one clear line: $(cat "$TMP/bad.err")"
done

cat > "$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: redlat
    static_configs:
      - targets: ['127.0.0.1:$SERVE']
EOF
promtool check config "$TMP/prometheus.yml" >/dev/null 2>&1 || fail "promtool rejects the test's config"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus-data" \
	--web.listen-address="127.0.0.1:$PROM" > "$TMP/prometheus.log" 2>&1 &
PIDS+=($!)
PROM_PID=$!
for _ in $(seq 300); do
	curl -sf "http://127.0.0.1:$PROM/-/ready" >/dev/null && break
	kill -0 $PROM_PID 2>/dev/null || fail "prometheus exited: $(tail -3 "$TMP/prometheus.log")"
	sleep 0.1
done
curl -sf "http://127.0.0.1:$PROM/-/ready" >/dev/null || fail "prometheus did not get ready: $(tail -3 "$TMP/prometheus.log")"

# load: a fixed number of SETs and GETs, then a BGSAVE (a fork, and the
# child's fsync of the RDB)
redis-benchmark -p $PORT -n 30000 -P 16 -r 1000 -t set -q > /dev/null || fail "redis-benchmark failed"
redis-benchmark -p $PORT -n 5000 -r 1000 -t get -q > /dev/null || fail "redis-benchmark failed"
$R bgsave > /dev/null
for _ in $(seq 200); do [ "$(info_field rdb_bgsave_in_progress)" = 0 ] && break; sleep 0.05; done
[ "$(info_field rdb_bgsave_in_progress)" = 0 ] || fail "BGSAVE did not end"
latest_fork_us=$(info_field latest_fork_usec)
forks=$(( $(info_field total_forks) - forks0 ))
$R info commandstats > "$TMP/after"
set_delta=$(( $(calls set "$TMP/after") - $(calls set "$TMP/before") ))
get_delta=$(( $(calls get "$TMP/after") - $(calls get "$TMP/before") ))
[ "$set_delta" -ge 30000 ] || fail "only $set_delta SETs ran"

# A scrape taken after the load may still carry a snapshot rendered before
# it ended: redlat renders once a second. Wait for one taken 2 s after.
load_end=$(date +%s.%N)
for _ in $(seq 150); do
	ts=$(promq 'timestamp(redlat_run_info)')
	[ -n "$ts" ] && $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) + 2 else 1)" "$ts" "$load_end" && break
	sleep 0.2
done
[ -n "$ts" ] || fail "Prometheus has no redlat series: $(curl -s "http://127.0.0.1:$PROM/api/v1/targets")"

# Prometheus parsed it as OpenMetrics: only that format carries units
unit=$(curl -sf "http://127.0.0.1:$PROM/api/v1/metadata?metric=redlat_command_execution_seconds" | $PY -c '
import json, sys
print(json.load(sys.stdin)["data"]["redlat_command_execution_seconds"][0]["unit"])')
[ "$unit" = seconds ] || fail "Prometheus did not read the unit (not OpenMetrics?): '$unit'"
health=$(curl -sf "http://127.0.0.1:$PROM/api/v1/targets" | $PY -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"][0]
print(t["health"], repr(t["lastError"]))')
[ "$health" = "up ''" ] || fail "scrape target not healthy: $health"

sel="pid=\"$PID\",port=\"$PORT\""
v=$(promq1 "redlat_command_calls_total{$sel,command=\"set\"}")
[ "$v" = "$set_delta" ] || fail "set: Prometheus has $v calls, INFO commandstats $set_delta"
v=$(promq1 "redlat_command_calls_total{$sel,command=\"get\"}")
[ "$v" = "$get_delta" ] || fail "get: Prometheus has $v calls, INFO commandstats $get_delta"
v=$(promq1 "redlat_command_execution_seconds_count{$sel,command=\"set\"}")
[ "$v" = "$set_delta" ] || fail "set: histogram count $v, INFO commandstats $set_delta"
v=$(promq1 "redlat_command_execution_seconds_bucket{$sel,command=\"set\",le=\"+Inf\"}")
[ "$v" = "$set_delta" ] || fail "set: +Inf bucket $v, INFO commandstats $set_delta"
note "set: $set_delta calls in INFO commandstats, $v in Prometheus; get: $get_delta, equal"
p50=$(promq1 "histogram_quantile(0.5, redlat_command_execution_seconds_bucket{$sel,command=\"set\"})")
$PY -c "import sys; sys.exit(0 if 0 < float(sys.argv[1]) < 0.01 else 1)" "$p50" || fail "set p50 from the buckets is $p50 s"
[ "$(promq1 "redlat_command_response_seconds_count{$sel,command=\"set\"}")" -gt 0 ] || fail "no response span of set"
note "set execution p50 from Prometheus's histogram_quantile: $p50 s"

v=$(promq1 "redlat_fork_stall_seconds_count{$sel,purpose=\"rdb\"}")
[ "$v" = "$forks" ] || fail "forks: Prometheus has $v, INFO total_forks grew by $forks"
stall=$(promq1 "redlat_last_fork_stall_seconds{$sel}")
$PY -c "
import sys
ours, redis = float(sys.argv[1]) * 1e6, float(sys.argv[2])
sys.exit(0 if abs(ours - redis) <= max(0.05 * redis, 200) else 1)" "$stall" "$latest_fork_us" \
	|| fail "last fork stall $stall s, latest_fork_usec $latest_fork_us"
note "fork: $v, last stall $stall s (latest_fork_usec $latest_fork_us)"
v=$(promq1 "sum(redlat_sync_seconds_count{$sel,thread=\"fork-child\",file_class=\"rdb\"})")
[ "$v" -ge 1 ] || fail "the child's fsync of the RDB is not in Prometheus"
v=$(promq1 "redlat_persistence_seconds_count{$sel,function=\"rdbSave\",thread=\"fork-child\"}")
[ "$v" = "$forks" ] || fail "rdbSave: $v in Prometheus for $forks forks"
[ "$(promq1 "redlat_event_loop_iteration_seconds_count{$sel}")" -gt 0 ] || fail "no event-loop iterations"
for s in redlat_stall_events_lost_total redlat_dropped_hist_full_total 'redlat_instance_info{product="redis"}'; do
	promq1 "$s" > /dev/null
done

check_exposition "http://127.0.0.1:$SERVE/metrics" "$TMP/exact"
note "raw exposition: promtool ok, $(cat "$TMP/exact.n") OpenMetrics samples parsed"
grep -E "^redlat_command_calls_total\{.*command=\"set\"|^redlat_fork_stall_seconds_(count|sum)|^redlat_sync_seconds_count" \
	"$TMP/exact.om" | sed 's/^/    /' >&2

kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/out.err")"
grep -qE "^set +$set_delta " "$TMP/out" || fail "the end-of-run report is missing or disagrees: $(head -20 "$TMP/out")"
curl -s -m 2 "http://127.0.0.1:$SERVE/metrics" > /dev/null && fail "still served after redlat ended"
assert_text_restored "$PID"

# sampled and stalls-only modes serve too
for mode in sampled stalls-only; do
	args=()
	[ $mode = stalls-only ] && args=(--stalls-only)
	run_redlat "$TMP/$mode" "${args[@]}" --serve "$SERVE2" -p "$PID"
	redis-benchmark -p $PORT -n 20000 -r 1000 -t set -q > /dev/null || fail "redis-benchmark failed"
	$R bgsave > /dev/null
	for _ in $(seq 200); do [ "$(info_field rdb_bgsave_in_progress)" = 0 ] && break; sleep 0.05; done
	# a rendering after the fork: sampled mode renders between windows,
	# at least every 5 s
	for _ in $(seq 100); do
		curl -sf -H "$OM_ACCEPT" "http://127.0.0.1:$SERVE2/metrics" | grep -q "^redlat_fork_stall_seconds_count" && break
		sleep 0.1
	done
	check_exposition "http://127.0.0.1:$SERVE2/metrics" "$TMP/$mode"
	grep -q "^redlat_run_info{version=\"[^\"]*\",mode=\"$mode\"} 1$" "$TMP/$mode.om" || fail "$mode: mode not served"
	grep -q "^redlat_fork_stall_seconds_count{$sel,purpose=\"rdb\"} 1$" "$TMP/$mode.om" || fail "$mode: the fork is not served"
	if [ $mode = sampled ]; then
		grep -q "^redlat_command_estimated_calls{$sel,command=\"set\"} [0-9]" "$TMP/$mode.om" \
			|| fail "sampled: no estimate of set's calls"
		grep -q "^redlat_command_calls_total" "$TMP/$mode.om" && fail "sampled: an exact count was served"
	else
		grep -q "^redlat_command_execution_seconds" "$TMP/$mode.om" && fail "stalls-only: command series served"
	fi
	kill -INT "$REDLAT_PID"
	wait_pid "$REDLAT_PID" || fail "redlat ($mode) exited with an error: $(cat "$TMP/$mode.err")"
	grep -q "^Forks: 1 " "$TMP/$mode" || fail "$mode: no end-of-run report: $(head -5 "$TMP/$mode")"
	note "$mode: served ($(cat "$TMP/$mode.n") OpenMetrics samples), report printed at exit"
done
assert_text_restored "$PID"
