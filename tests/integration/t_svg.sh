#!/bin/bash
# The picture of a real run (--svg), with --exact --json -t 5 against a
# redis-server with an everysec AOF, under pipelined load, with DEBUG SLEEP
# 0.05, KEYS over 300k keys and a BGSAVE:
# - the SVG parses (Python's XML parser), 1200 px wide, with the lanes and
#   heatmaps it should have;
# - one fork mark, purpose rdb, whose stall in its tooltip is within
#   max(5%, 200 us) of INFO's latest_fork_usec;
# - slow-command marks named debug (>= 50 ms) and keys, and the heatmap
#   of the command class holds a cell in each one's latency bucket; an
#   off-CPU mark of DEBUG SLEEP's sleep (>= 50 ms);
# - fsync marks of bio_aof (everysec) and of the fork child (the RDB);
# - rsvg-convert draws it: a PNG of the SVG's size, not blank, with the
#   fork's, the fsyncs' and the heatmap's colours in it;
# - a --svg file that cannot be created stops redlat before it traces,
#   with one line and a non-zero exit; --json still goes to stdout, and
#   --replay of it with --svg draws the same picture byte for byte.
. "$(dirname "$0")/lib.sh"
PORT=7361
command -v rsvg-convert >/dev/null || fail "rsvg-convert is missing (make deps: librsvg2-bin)"
# a copy of the binary of our own, as t_doctor.sh: another redlat on the
# host probes the fork children's functions in every process of its file
mkdir -p "$TMP/bin"
cp "$(readlink -f "$(command -v redis-server)")" "$TMP/bin/redis-server" || fail "cannot copy redis-server"
PATH=$TMP/bin:$PATH
start_redis $PORT --enable-debug-command local --appendonly yes --appendfsync everysec
PID=$REDIS_PID
R="redis-cli -p $PORT"
progs_before=$(redlat_progs)
$R debug populate 300000 >/dev/null || fail "DEBUG POPULATE failed"

# a file that cannot be created: refused before tracing
"$REDLAT" -p "$PID" -d 1 --svg "$TMP/no/such/dir/run.svg" >"$TMP/bad.out" 2>"$TMP/bad.err"
rc=$?
[ "$rc" != 0 ] || fail "redlat accepted an --svg file it cannot create"
[ "$(wc -l < "$TMP/bad.err")" = 1 ] || fail "expected one error line, got: $(cat "$TMP/bad.err")"
grep -q "cannot create --svg file" "$TMP/bad.err" || fail "unclear error: $(cat "$TMP/bad.err")"
grep -q tracing "$TMP/bad.err" && fail "redlat started tracing before refusing the file"
note "refused: $(cat "$TMP/bad.err")"

run_redlat "$TMP/report.json" -p "$PID" --exact --json -t 5 --svg "$TMP/run.svg"
redis-benchmark -p $PORT -t set,get -n 150000 -P 16 -c 4 -q >/dev/null 2>&1
$R debug sleep 0.05 >/dev/null
sleep 0.5
$R keys 'nomatch*' >/dev/null
sleep 0.5
$R bgsave >/dev/null || fail "BGSAVE failed"
fork_usec=$($R info stats | tr -d '\r' | sed -n 's/^latest_fork_usec://p')
for _ in $(seq 100); do
	[ "$($R info persistence | tr -d '\r' | sed -n 's/^rdb_bgsave_in_progress://p')" = 0 ] && break
	sleep 0.1
done
sleep 0.5
kill -INT "$REDLAT_PID"
wait_pid "$REDLAT_PID" || fail "redlat exited with an error: $(cat "$TMP/report.json.err")"
[ -s "$TMP/run.svg" ] || fail "no SVG written"
check_report_json "$TMP/report.json"
"$REDLAT" --replay "$TMP/report.json" --svg "$TMP/replayed.svg" >/dev/null || fail "--replay --svg failed"
cmp -s "$TMP/run.svg" "$TMP/replayed.svg" || fail "the picture replayed from the JSON differs from the live one"
note "latest_fork_usec $fork_usec; SVG $(wc -c < "$TMP/run.svg") bytes"
rsvg-convert "$TMP/run.svg" -o "$TMP/run.png" || fail "rsvg-convert cannot draw the SVG"
[ -n "${SVG_KEEP:-}" ] && cp "$TMP/run.svg" "$TMP/run.png" "$SVG_KEEP"/

$PY - "$TMP/run.svg" "$TMP/run.png" "$TMP/report.json" "$fork_usec" <<'PYEOF' || fail "the picture is not right"
import json, re, sys
import xml.etree.ElementTree as ET
from PIL import Image

svg_path, png_path, json_path, fork_usec = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
NS = "{http://www.w3.org/2000/svg}"
bad = 0
def check(ok, msg):
    global bad
    print(("  ok   " if ok else "  FAIL ") + msg, file=sys.stderr)
    bad += not ok

json.load(open(json_path))      # --json still wrote its document to stdout
root = ET.parse(svg_path).getroot()
check(root.tag == NS + "svg" and root.get("width") == "1200", f"root {root.tag}, width {root.get('width')}")
texts = {"".join(t.itertext()) for t in root.iter(NS + "text")}
for label in ["fork", "fsync: bio_aof", "fsync: fork-child", "event loop", "slow commands",
              "run-queue wait", "off-CPU", "cycles", "fast-command", "command"]:
    check(label in texts, f"lane or heatmap '{label}'")

def marks(cls):
    out = []
    for el in root.iter():
        if el.get("class") == cls:
            t = el.find(NS + "title")
            out.append(t.text if t is not None else "")
    return out

UNITS = {"ns": 1e-3, "us": 1, "ms": 1e3, "s": 1e6}
def usec(s):
    m = re.match(r"([\d.]+)(ns|us|ms|s)$", s)
    return float(m.group(1)) * UNITS[m.group(2)]

forks = marks("fork")
check(len(forks) == 1, f"{len(forks)} fork mark(s)")
if forks:
    m = re.search(r"fork for (\S+) at .*: stall (\S+) ", forks[0])
    stall = usec(m.group(2)) if m else -1
    tol = max(0.05 * fork_usec, 200)
    check(m and m.group(1) == "rdb", f"fork purpose {m.group(1) if m else None}")
    # the tooltip has three significant figures
    check(abs(stall - fork_usec) <= tol + 0.005 * stall,
          f"fork stall {stall:.0f} us in the tooltip, latest_fork_usec {fork_usec} (tolerance {tol:.0f} us)")

cmds = marks("command")
def cmd_us(name):
    for t in cmds:
        m = re.match(re.escape(name) + r" at [^:]*:[^:]*:[^:]*: (\S+);", t)
        if m:
            return usec(m.group(1))
    return None
debug, keys = cmd_us("debug"), cmd_us("keys")
check(debug is not None and debug >= 50000, f"slow command debug: {debug} us")
check(keys is not None and keys >= 5000, f"slow command keys: {keys} us")
check({"debug", "keys"} <= texts, "debug and keys named on the picture")

# heatmap cells of the command class: "command: N executions of LO to HI from ..."
cells = []
for t in marks("heat"):
    m = re.match(r"(fast-command|command): (\S+) executions of (\S+) to (\S+) from", t)
    if m:
        cells.append((m.group(1), usec(m.group(3)), usec(m.group(4))))
check(any(c[0] == "fast-command" for c in cells), f"{sum(c[0] == 'fast-command' for c in cells)} fast-command cells")
for name, us in (("debug", debug), ("keys", keys)):
    check(us is not None and any(c[0] == "command" and c[1] <= us < c[2] * 1.01 for c in cells),
          f"a command-class cell holds {name}'s {us} us")

syncs = marks("fsync")
check(any("thread bio_aof" in t for t in syncs), "fsync marks of bio_aof")
check(any("thread fork-child" in t for t in syncs), "fsync marks of the fork child")
check(len(marks("loop")) > 0, f"{len(marks('loop'))} slow event-loop marks")
slept = [usec(m.group(1)) for t in marks("offcpu") for m in [re.search(r"off-cpu-sleeping at .*?\): (\S+)", t)] if m]
check(any(us >= 50000 for us in slept), f"DEBUG SLEEP's off-CPU sleep: {max(slept, default=None)} us")

img = Image.open(png_path).convert("RGB")
height = float(root.get("height"))
check(img.size == (1200, round(height)), f"PNG {img.size}, SVG 1200x{height}")
px = img.getdata()
colours = {}
for p in px:
    colours[p] = colours.get(p, 0) + 1
ink = sum(n for c, n in colours.items() if c != (255, 255, 255))
check(ink > 0.05 * len(px), f"{100 * ink / len(px):.1f}% of the pixels are drawn")
def near(rgb, tol=8):
    return sum(n for c, n in colours.items() if all(abs(a - b) <= tol for a, b in zip(c, rgb)))
for name, rgb, least in (("fork stall red", (0xd6, 0x27, 0x28), 20), ("fsync teal", (0x2a, 0x9d, 0x8f), 20),
                         ("slow command green", (0x59, 0xa1, 0x4f), 20), ("heatmap grey", (0xf2, 0xf2, 0xf2), 5000)):
    n = near(rgb)
    check(n >= least, f"{name}: {n} pixels")
dark_blue = sum(n for c, n in colours.items() if c[2] > c[0] + 40 and c[2] > 80)
check(dark_blue > 200, f"heatmap colours: {dark_blue} blue pixels")
sys.exit(1 if bad else 0)
PYEOF
assert_text_restored "$PID"
assert_no_progs "$progs_before" "after the run"
