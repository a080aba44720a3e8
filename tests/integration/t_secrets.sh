#!/bin/bash
# redlat copies no key or value bytes out of Redis: with a secret key name
# and a secret value in the dataset, driven through GET/SET/HSET/APPEND/
# ECHO/EVAL (the secret as argv[1] of non-container commands, and as a
# script argument), neither appears in any output of redlat (stdout and
# stderr) in exact, sampled and stalls-only mode, as text, --json, --events
# and interval tables. The commands themselves must be seen, so the check
# is not empty.
. "$(dirname "$0")/lib.sh"
PORT=7336
private_binary
start_redis $PORT
PID=$REDIS_PID
bpf_mark
SECRET_VALUE="v4lue-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SECRET_KEY="k3y-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# a piece of each is enough to leak: look for the random parts
NEEDLES=("${SECRET_VALUE#v4lue-}" "${SECRET_KEY#k3y-}")

cmds=$TMP/cmds
for _ in $(seq 200); do
	cat <<CMDS
SET $SECRET_KEY $SECRET_VALUE
GET $SECRET_KEY
HSET h:$SECRET_KEY f $SECRET_VALUE
HGET h:$SECRET_KEY f
APPEND a:$SECRET_KEY $SECRET_VALUE
ECHO $SECRET_VALUE
EXISTS $SECRET_VALUE
EVAL "return redis.call('GET', KEYS[1])" 1 $SECRET_KEY
EVAL "return ARGV[1]" 0 $SECRET_VALUE
OBJECT ENCODING $SECRET_KEY
DEL a:$SECRET_KEY
CMDS
done > "$cmds"
[ "$(redis-cli -p $PORT SET "$SECRET_KEY" "$SECRET_VALUE")" = OK ] || fail "cannot write the secret"
[ "$(redis-cli -p $PORT GET "$SECRET_KEY")" = "$SECRET_VALUE" ] || fail "the secret is not in Redis"

# run NAME REDLAT-ARGS...: trace while the commands run and a BGSAVE forks
run() {
	local name=$1; shift
	local out=$TMP/$name
	run_redlat "$out" -p "$PID" "$@"
	local end=$((SECONDS + 3))
	while [ $SECONDS -lt $end ]; do redis-cli -p $PORT <"$cmds" >/dev/null || fail "load failed"; done
	redis-cli -p $PORT BGSAVE >/dev/null
	sleep 1
	kill -INT "$REDLAT_PID"
	wait_pid "$REDLAT_PID" || fail "redlat $* failed: $(cat "$out.err")"
	local needle
	for needle in "${NEEDLES[@]}"; do
		if grep -qF "$needle" "$out" "$out.err"; then
			fail "redlat $* printed a secret: $(grep -hF "$needle" "$out" "$out.err" | head -3)"
		fi
	done
	note "$name ($*): $(cat "$out" "$out.err" | wc -c) bytes of output, no secret"
}

run exact-text --exact -H
for c in get set hset hget append echo exists eval 'object|encoding'; do
	grep -qE "^${c/|/\\|} +[0-9]" "$TMP/exact-text" || fail "exact mode did not see $c: $(head -30 "$TMP/exact-text")"
done
run exact-json --exact -j
$PY -c "import json,sys; json.load(open(sys.argv[1]))" "$TMP/exact-json" || fail "--json output does not parse"
# every command of 1 us or more is an event, each line naming its command
run exact-events --exact -e -t 0.001
[ "$(grep -cE ' (get|set|eval) ' "$TMP/exact-events")" -gt 100 ] || fail "--events printed too few command events"
run exact-interval --exact 1
run sampled-text
run sampled-json -j
run sampled-events -e -t 0.001
run stalls-text --stalls-only
run stalls-json --stalls-only -j
run stalls-events --stalls-only -e -t 0.001
grep -q 'fork' "$TMP/stalls-events" || fail "--stalls-only --events showed no fork"
assert_no_orphans "programs of redlat left loaded"
assert_text_restored "$PID"
