# redlat's stall lab (bash library, sourced): a redis-server on 127.0.0.1
# whose dir is on slowfs, a FUSE passthrough whose fsyncs take as long as we
# ask, so that Redis's own fsync stalls happen for real. Used by
# tools/stall-lab and the integration tests. Safe under `set -u`.
#
#   . tools/lab.sh
#   lab_init                      # LAB_DIR; EXIT trap unless LAB_NO_TRAP=1
#   lab_mount_slowfs 100          # LAB_MNT (slowfs: ${SLOWFS:-build/slowfs})
#   lab_start_redis 7450 --appendonly yes   # LAB_REDIS_PID, LAB_PORT
#   lab_populate 200; lab_cli bgsave; lab_wait_bgsave
#   lab_fsync_count; lab_set_delay 2500
#   lab_cleanup                   # idempotent
#
# Everything stopped is stopped by the pid remembered when it was started:
# call lab_mount_slowfs and lab_start_redis directly, not in $(...).

# the repository's root, from where this file is
LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# the lab's state: set by the functions below, never taken from the
# environment (lab_cleanup removes LAB_DIR)
LAB_DIR=
LAB_MNT=
LAB_PORT=
LAB_REDIS_PID=
LAB_SLOWFS_PID=

_lab_err() { echo "lab: $*" >&2; }

# _lab_noerr CMD...: CMD with errexit off (the caller may run under set -e;
# a probe that fails is no reason to leave a mount behind), restored after
_lab_noerr() {
	local _e=$- _r
	set +e
	"$@"
	_r=$?
	case $_e in *e*) set -e ;; esac
	return $_r
}

# _lab_alive PID: the process exists and is not a zombie
_lab_alive() {
	local st
	[ -n "${1:-}" ] || return 1
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*|"") return 1 ;; esac
	return 0
}

# _lab_mounted DIR: DIR is a mount point (from /proc, which does not touch
# the filesystem: works for a FUSE mount whose daemon is gone)
_lab_mounted() {
	[ -n "${1:-}" ] && awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts
}

# _lab_stop PID SECONDS: wait for PID to go, then TERM, then KILL
_lab_stop() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do _lab_alive "$pid" || break; sleep 0.1; done
	if _lab_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 30; i++)); do _lab_alive "$pid" || break; sleep 0.1; done
	fi
	_lab_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 30; i++)); do _lab_alive "$pid" || break; sleep 0.1; done
	wait "$pid" 2>/dev/null
	return 0
}

_lab_init() {
	[ -z "$LAB_DIR" ] || _lab_cleanup	# a lab of this shell's before
	LAB_DIR=$(mktemp -d /tmp/redlat-lab.XXXXXX) || return 1
	mkdir -p "$LAB_DIR/backing" "$LAB_DIR/mnt" "$LAB_DIR/redis"
	LAB_MNT=
	LAB_PORT=
	LAB_REDIS_PID=
	LAB_SLOWFS_PID=
	if [ "${LAB_NO_TRAP:-0}" != 1 ]; then
		trap lab_cleanup EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
}

# lab_mount_slowfs DELAY_MS: slowfs of $LAB_DIR/backing at $LAB_DIR/mnt
_lab_mount_slowfs() {
	local delay=${1:-0} bin=${SLOWFS:-$LAB_ROOT/build/slowfs} mnt i
	[ -n "$LAB_DIR" ] || { _lab_err "lab_init first"; return 1; }
	[ -x "$bin" ] || { _lab_err "no slowfs at $bin (make slowfs)"; return 1; }
	mnt=$LAB_DIR/mnt
	_lab_mounted "$mnt" && { _lab_err "$mnt is already mounted"; return 1; }
	"$bin" -f -o "delay_ms=$delay" "$LAB_DIR/backing" "$mnt" 2>>"$LAB_DIR/slowfs.log" &
	LAB_SLOWFS_PID=$!
	for ((i = 0; i < 100; i++)); do
		if _lab_mounted "$mnt" && mountpoint -q "$mnt"; then
			LAB_MNT=$mnt
			return 0
		fi
		_lab_alive "$LAB_SLOWFS_PID" || break
		sleep 0.05
	done
	_lab_err "slowfs did not mount: $(tail -3 "$LAB_DIR/slowfs.log" 2>/dev/null)"
	_lab_stop "$LAB_SLOWFS_PID" 0
	LAB_SLOWFS_PID=
	return 1
}

# lab_stats NAME: one figure of .slowfs_stats (fsync, fdatasync, fsyncdir,
# delay_ms, inflight)
lab_stats() {
	[ -n "$LAB_MNT" ] || { echo 0; return 1; }
	awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$LAB_MNT/.slowfs_stats"
}

# lab_fsync_count: file fsyncs (fdatasync included) + directory fsyncs served
lab_fsync_count() {
	[ -n "$LAB_MNT" ] || { echo 0; return 1; }
	awk '$1 == "fsync" || $1 == "fsyncdir" { s += $2 } END { print s + 0 }' \
		"$LAB_MNT/.slowfs_stats"
}

lab_set_delay() {
	[ -n "$LAB_MNT" ] || { _lab_err "slowfs is not mounted"; return 1; }
	echo "$1" > "$LAB_MNT/.slowfs_delay_ms"
}

lab_cli() { redis-cli -h 127.0.0.1 -p "$LAB_PORT" "$@"; }

# lab_info FIELD: one field of INFO (everything)
lab_info() {
	lab_cli info everything 2>/dev/null | tr -d '\r' | awk -F: -v f="$1" '$1 == f { print $2 }'
}

# lab_start_redis PORT [redis args...]: later args override the defaults
_lab_start_redis() {
	local port=$1 dir i
	shift
	[ -n "$LAB_DIR" ] || { _lab_err "lab_init first"; return 1; }
	if _lab_alive "$LAB_REDIS_PID"; then
		_lab_err "a redis-server of the lab runs already (pid $LAB_REDIS_PID)"
		return 1
	fi
	if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
		_lab_err "port $port already answers: not starting another server"
		return 1
	fi
	if [ -n "$LAB_MNT" ] && _lab_mounted "$LAB_MNT"; then dir=$LAB_MNT; else dir=$LAB_DIR/redis; fi
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize no \
		--save '' --appendonly no --enable-debug-command local \
		--logfile "$dir/redis.log" "$@" >"$LAB_DIR/redis.out" 2>&1 &
	LAB_REDIS_PID=$!
	LAB_PORT=$port
	for ((i = 0; i < 200; i++)); do
		if ! _lab_alive "$LAB_REDIS_PID"; then
			_lab_err "redis-server exited: $(tail -3 "$dir/redis.log" "$LAB_DIR/redis.out" 2>/dev/null)"
			wait "$LAB_REDIS_PID" 2>/dev/null
			LAB_REDIS_PID=
			return 1
		fi
		[ "$(lab_cli ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	_lab_err "redis-server did not answer PING: $(tail -3 "$dir/redis.log" 2>/dev/null)"
	return 1
}

# lab_populate MB: about MB megabytes of 1000-byte values (MB*1000 keys)
_lab_populate() {
	local mb=$1 keys i
	keys=$((mb * 1000))
	lab_cli debug populate "$keys" key 1000 >/dev/null || return 1
	for ((i = 0; i < 600; i++)); do
		[ "$(lab_cli dbsize 2>/dev/null)" -ge "$keys" ] 2>/dev/null && break
		sleep 0.1
	done
	echo "lab: populated $keys keys, used_memory $(lab_info used_memory_human)" >&2
}

# _lab_wait_info FIELD... : until every FIELD reads 0 (120 s at most)
_lab_wait_info() {
	local i f busy info
	for ((i = 0; i < 1200; i++)); do
		info=$(lab_cli info persistence 2>/dev/null | tr -d '\r')
		busy=
		[ -n "$info" ] || busy=1
		for f in "$@"; do
			grep -qx "$f:0" <<<"$info" || busy=1
		done
		[ -z "$busy" ] && return 0
		sleep 0.1
	done
	_lab_err "still busy after 120 s: $*"
	return 1
}

_lab_wait_bgsave() { _lab_wait_info rdb_bgsave_in_progress; }
_lab_wait_aofrw() { _lab_wait_info aof_rewrite_in_progress aof_rewrite_scheduled; }

# lab_cleanup: stop redis, unmount, stop slowfs, remove LAB_DIR. Idempotent.
_lab_cleanup() {
	local mnt=${LAB_DIR:+$LAB_DIR/mnt}
	if [ -n "$LAB_REDIS_PID" ]; then
		if _lab_alive "$LAB_REDIS_PID"; then
			# Redis fsyncs its AOF as it shuts down: not slowly, now
			[ -n "$mnt" ] && _lab_mounted "$mnt" &&
				echo 0 2>/dev/null >"$mnt/.slowfs_delay_ms"
			timeout 5 redis-cli -h 127.0.0.1 -p "$LAB_PORT" shutdown nosave >/dev/null 2>&1
			_lab_stop "$LAB_REDIS_PID" 10
		fi
		wait "$LAB_REDIS_PID" 2>/dev/null
		LAB_REDIS_PID=
	fi
	if [ -n "$mnt" ] && _lab_mounted "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null ||
			umount -l "$mnt" 2>/dev/null
	fi
	LAB_MNT=
	if [ -n "$LAB_SLOWFS_PID" ]; then
		_lab_stop "$LAB_SLOWFS_PID" 5
		LAB_SLOWFS_PID=
	fi
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "$mnt" ] && _lab_mounted "$mnt"; then
			_lab_err "$mnt is still mounted: leaving $LAB_DIR"
			return 1
		fi
		case $LAB_DIR in /tmp/redlat-lab.?*) rm -rf "$LAB_DIR" ;; esac
	fi
	LAB_DIR=
	return 0
}

# The public functions, safe under set -e as well as set -u.
lab_init() { _lab_noerr _lab_init; }
lab_mount_slowfs() { _lab_noerr _lab_mount_slowfs "$@"; }
lab_start_redis() { _lab_noerr _lab_start_redis "$@"; }
lab_populate() { _lab_noerr _lab_populate "$@"; }
lab_wait_bgsave() { _lab_noerr _lab_wait_bgsave; }
lab_wait_aofrw() { _lab_noerr _lab_wait_aofrw; }
lab_cleanup() { _lab_noerr _lab_cleanup; }
