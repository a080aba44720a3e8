#!/bin/bash
# The doctor end to end, on the stall lab (tools/lab.sh): Redis's dir on
# slowfs, 500 MB of keys, redlat --exact -t 5 while we provoke
# - a fork: BGSAVE (Redis's latest_fork_usec is the referee),
# - fsync stalls: appendfsync always on a disk whose fsync takes 20 ms,
# - slow commands: KEYS over 500k keys and DEBUG SLEEP 0.05 (SLOWLOG is the
#   referee).
# The report (replayed from the run's --json document, which must be valid
# against the schema) must name each event with the advice that goes with it, and
# give no advice it did not earn: none for what we did not provoke (blocked
# writes, deletes, expiry, defrag), THP and memory advice only as /proc and
# /sys say, and every other piece of advice only with its event line.
. "$(dirname "$0")/lib.sh"
LAB_NO_TRAP=1
. "$ROOT/tools/lab.sh"
PORT=7351
THR=5
DELAY=20
progs_before=$(redlat_progs)
# a copy of the binary of our own: uprobes belong to a file, and a redlat
# tracing another redis-server of the same file probes its fork children's
# functions in every process of it, ours included
mkdir -p "$TMP/bin"
cp "$(readlink -f "$(command -v redis-server)")" "$TMP/bin/redis-server" || fail "cannot copy redis-server"
PATH=$TMP/bin:$PATH
lab_init || fail "lab_init"
lab_mount_slowfs 0 || fail "cannot mount slowfs"
lab_start_redis $PORT --appendonly yes --appendfsync everysec --slowlog-log-slower-than $((THR * 1000)) \
	--slowlog-max-len 1024 || fail "cannot start redis on slowfs"
PID=$LAB_REDIS_PID
lab_populate 500 || fail "cannot populate"
lab_wait_aofrw || fail "AOF rewrite did not end"
majflt() { awk '{ sub(/.*\) /, ""); print $10 }' "/proc/$PID/stat"; }
majflt0=$(majflt)

run_redlat "$TMP/report.json" -p "$PID" --exact -t $THR --json
lab_cli slowlog reset >/dev/null
forks0=$(lab_info total_forks)

# a fork
lab_cli bgsave >/dev/null || fail "BGSAVE"
lab_wait_bgsave || fail "BGSAVE did not end"
fork_us=$(lab_info latest_fork_usec)
forks=$(( $(lab_info total_forks) - forks0 ))
# slow commands
lab_cli keys 'nomatch*' >/dev/null
lab_cli debug sleep 0.05 >/dev/null
# fsync stalls on the main thread
lab_cli config set appendfsync always >/dev/null || fail "appendfsync always"
lab_set_delay $DELAY
served0=$(lab_fsync_count)
for i in $(seq 30); do lab_cli set doctor:$i v >/dev/null; done
served=$(( $(lab_fsync_count) - served0 ))
lab_set_delay 0
lab_cli config set appendfsync everysec >/dev/null || fail "appendfsync everysec"
sleep 1.5

kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
# the document holds the doctor's evidence, as the schema says, and the
# report is replayed from it
"$ROOT/tests/schema/validate" "$TMP/report.json" || fail "the JSON document is not valid"
"$REDLAT" --replay "$TMP/report.json" > "$TMP/report.txt" || fail "cannot replay the JSON document"
majflt1=$(majflt)
lab_cli --json slowlog get 1024 > "$TMP/slowlog.json" || fail "SLOWLOG GET failed"
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
anon_kb=$(awk '$1 == "AnonHugePages:" { s += $2 } END { print s + 0 }' "/proc/$PID/smaps_rollup")
swap_kb=$(awk '$1 == "VmSwap:" { print $2 }' "/proc/$PID/status")
note "referee: fork $fork_us us ($forks forks), $served fsyncs served under always, THP '$thp'," \
	"AnonHugePages $anon_kb kB, VmSwap ${swap_kb:-?} kB, major faults $((majflt1 - majflt0))"
sed -n '/^Doctor/,$p' "$TMP/report.txt" >&2

$PY - "$TMP/report.txt" "$TMP/slowlog.json" "$THR" "$fork_us" "$forks" "$served" "$thp" "$anon_kb" \
	"${swap_kb:-0}" "$((majflt1 - majflt0))" <<'PYEOF' || fail "the doctor's report is wrong"
import json, re, sys
text = open(sys.argv[1]).read()
slowlog = json.load(open(sys.argv[2]))
thr_ms, fork_us, forks, served = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
report = json.load(open(sys.argv[1].replace(".txt", ".json")))
thp, anon_kb, swap_kb, majflt = sys.argv[7], int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])
bad = 0
def check(ok, msg):
    global bad
    print(("  ok   " if ok else "  FAIL ") + msg, file=sys.stderr)
    bad += not ok
def ms(s):
    m = re.fullmatch(r"([\d.]+)(ns|us|ms|s)", s)
    return float(m.group(1)) * {"ns": 1e-6, "us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]

doc = text[text.index("\nDoctor ("):]
lines = {}
for m in re.finditer(r"^\d+\. (\S+): (\d+) latency spikes \(average (\S+), mean deviation (\S+), "
                     r"period ([\d.]+) sec\)\. Worst all time event ([\d.]+(?:ns|us|ms|s))(?: \(([^)]*)\))?\.(.*) "
                     r"p99 (\S+); (?:at|first) ", doc, re.M):
    lines[m.group(1)] = dict(n=int(m.group(2)), avg=ms(m.group(3)), worst=ms(m.group(6)),
                             who=m.group(7), tail=m.group(8), p99=ms(m.group(9)))
advice = doc.split("I have a few advices for you:", 1)[1] if "advices" in doc else ""
def advised(s):
    return s in advice
print("  lines: " + ", ".join("%s %d" % (k, v["n"]) for k, v in lines.items()), file=sys.stderr)

# the fork: Redis's latest_fork_usec against redlat's (to 5% or 0.2 ms, and
# 3 significant figures of print)
if fork_us >= thr_ms * 1000 * 1.06:
    f = lines.get("fork")
    check(f is not None and f["n"] == forks, f"fork: {f and f['n']} spikes for {forks} forks of {fork_us} us")
    if f:
        tol = max(0.05 * fork_us / 1000, 0.2) + 0.005 * f["worst"]
        check(abs(f["worst"] - fork_us / 1000) <= tol, f"fork: worst {f['worst']} ms, Redis {fork_us / 1000} ms")
        rate = re.search(r"Fork rate is ([\d.]+) GB/sec \((\w+)\)", f["tail"])
        check(rate is not None, "fork: the line rates the fork")
        poor = rate and rate.group(2) in ("poor", "terrible")
        check(advised("- Forking Redis (") == bool(poor),
              f"fork advice {'given' if poor else 'not given'} for a {rate and rate.group(2)} rate")
elif fork_us < thr_ms * 1000 * 0.94:
    check("fork" not in lines and not advised("Forking Redis"), f"no fork line for a {fork_us} us fork")

# fsync stalls: every SET under always fsynced on the main thread, >= DELAY
a = lines.get("aof-fsync-always")
check(a is not None and 30 <= a["n"] <= served, f"aof-fsync-always: {a and a['n']} spikes, "
      f"{served} fsyncs served by slowfs for 30 SETs")
check(a is not None and a["avg"] >= 20, f"aof-fsync-always: average {a and a['avg']} ms (slowfs: 20 ms)")
m = re.search(r"- The main thread fsynced the AOF itself (\d+) times, and waited [\d.]+ms or more (\d+) time", advice)
check(m is not None and int(m.group(1)) >= int(m.group(2)) == (a and a["n"]),
      "appendfsync always advised, quoting " + (m.group(0) if m else "nothing"))
m = re.search(r"- The disk is slow: fsync of the AOF took (\S+) at p99", advice)
check(m is not None and ms(m.group(1)) >= 20, "slow disk advised, quoting " + (m.group(0) if m else "nothing"))

# slow commands: every SLOWLOG entry of the threshold or more is named
c = lines.get("command")
check(c is not None and c["worst"] >= 50, f"command: worst {c and c['worst']} ms ({c and c['who']})")
m = re.search(r"- Slow commands ran \(the command event\): (.*)\. Instead:\n((?:  .*\n)*)", advice)
named = dict(re.findall(r"(\S+) \d+ times? \(worst (\S+)\)", m.group(1))) if m else {}
insteads = m.group(2) if m else ""
for e in slowlog:
    name = e[3][0].lower()
    if e[2] >= thr_ms * 1000:
        hit = [n for n in named if n.split("|")[0] == name]
        check(bool(hit), f"SLOWLOG {name} {e[2]} us named among the slow commands {sorted(named)}")
check("  keys: SCAN with MATCH and COUNT" in insteads, "keys: SCAN advised")
check("  debug: nothing on a production server" in insteads, "debug: advised against")
check("set" not in named and "get" not in named, "no fast command among the slow ones")

# nothing advised that was not provoked
for what, s in (("blocked writes", "waited for a background fsync"), ("deletes", "Deleting took"),
                ("expiry", "active expire cycle"), ("defrag", "Active defragmentation"),
                ("a hog", "redlat-hog")):
    check(s not in doc, f"no advice on {what}")
# advice only with its event line
for line, s in (("aof-write-active-child", "while a fork child was writing"),
                ("aof-write-alone", "with no fsync or child in flight"),
                ("main-thread-fsync", "fsynced other files"), ("run-queue", "waited for a CPU"),
                ("fast-command", "flags as fast"), ("aof-fsync-always", "fsynced the AOF itself")):
    check(advised(s) == (line in lines), f"{line}: {'line and advice' if line in lines else 'neither line nor advice'}")
# uninterruptible waits are the fsyncs': no unexplained-blocking advice
check(not advised("blocked in the kernel"), "uninterruptible waits explained by aof-fsync-always")
# THP and memory, as /sys and /proc say
want_thp = anon_kb > 0 or "[always]" in thp
check(advised("transparent huge pages") or advised("Transparent huge pages") if want_thp else
      "huge pages" not in advice, f"THP advice {'given' if want_thp else 'not given'} "
      f"(AnonHugePages {anon_kb} kB, setting {thp!r})")
# the evidence in the document, against /sys and /proc read by the test
sel = re.search(r"\[(\w+)\]", thp)
check(report.get("thp_enabled") == (sel and sel.group(1)), f"thp_enabled {report.get('thp_enabled')!r}")
mem = report["instances"][0].get("memory", {})
check(mem.get("anon_huge_pages_bytes") == anon_kb * 1024, f"AnonHugePages {mem.get('anon_huge_pages_bytes')}")
check(0 <= mem.get("major_faults", -1) <= majflt, f"major faults {mem.get('major_faults')} of {majflt}")
want_mem = majflt > 0 or swap_kb > 0
check(("read back from disk" in advice or "swapped out" in advice) if want_mem else
      ("read back from disk" not in advice and "swapped out" not in advice),
      f"memory advice {'given' if want_mem else 'not given'} ({majflt} major faults, {swap_kb} kB swapped)")
sys.exit(1 if bad else 0)
PYEOF
assert_text_restored "$PID"
lab_cleanup
assert_no_progs "$progs_before" "after the run"
