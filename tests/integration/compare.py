#!/usr/bin/python3
"""Compare a redlat --json report with Redis's own INFO commandstats.

compare.py counts BEFORE AFTER REPORT [PID [SEEN]]   exact mode: counts equal, means close
    REPORT: --json output, or text output (then counts only, and PID is needed);
    PID: the instance of that pid in REPORT (default: its only one); SEEN: how
    many of the two INFOs that took BEFORE and AFTER redlat traced (default 0)
compare.py pcts EXACT SAMPLED NAME:KEY,KEY...  sampled percentiles within their ranges
"""
import json
import re
import sys


def commandstats(path):
    stats = {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("cmdstat_"):
            continue
        name, fields = line[len("cmdstat_"):].split(":", 1)
        kv = dict(f.split("=") for f in fields.split(","))
        stats[name] = (int(kv["calls"]), int(kv["usec"]))
    return stats


def text_commands(report, pid):
    """The counts of a text report's table for one instance (no means: the
    text rounds them)."""
    text = open(report).read()
    doc = {"mode": "exact" if "Exact mode: every command was probed" in text else "other"}
    cmds, inst, table = {}, None, False
    for line in text.splitlines():
        m = re.match(r"(redis|valkey) \S+, pid (\d+)[ ,]", line)
        if m:
            inst, table = int(m.group(2)), False
        elif inst == pid and line.startswith("COMMAND "):
            table = True
        elif table and not line.strip():
            table = False
        elif table:
            f = line.split()
            cmds[f[0]] = {"execution": {"count": int(f[1]), "mean_ns": None}}
    return doc, cmds


def commands(report, pid=None):
    if not open(report).read(1) == "{":
        return text_commands(report, pid)
    doc = json.load(open(report))
    insts = doc["instances"]
    if pid is not None:
        insts = [i for i in insts if i["pid"] == pid]
    assert len(insts) == 1, f"expected one instance{'' if pid is None else f' of pid {pid}'}, got {len(insts)}"
    return doc, {c["name"]: c for c in insts[0]["commands"]}


def counts(before, after, report, pid=None, seen=0):
    b, a = commandstats(before), commandstats(after)
    doc, cmds = commands(report, pid)
    assert doc["mode"] == "exact", doc["mode"]
    delta = {k: (a[k][0] - b.get(k, (0, 0))[0], a[k][1] - b.get(k, (0, 0))[1]) for k in a}
    # the INFO that took the first snapshot is counted in the second, the
    # one that took the second is not; redlat counts those it traced
    if "info" in delta or seen:
        d = delta.get("info", (0, 0))
        delta["info"] = (d[0] - 1 + seen, d[1])
    delta = {k: v for k, v in delta.items() if v[0] > 0}
    errors = []
    for name, (calls, usec) in sorted(delta.items()):
        got = cmds.get(name)
        n = got["execution"]["count"] if got else 0
        if n != calls:
            errors.append(f"{name}: redlat counted {n}, commandstats {calls}")
            continue
        if got["execution"]["mean_ns"] is None:
            continue
        mean_us = got["execution"]["mean_ns"] / 1000.0
        want = usec / calls
        if name == "exec":
            # Redis's own exec time includes redlat's probe traps on exec
            # (the pair's bias, which redlat subtracts) and on the commands
            # inside it: redlat's figure must be smaller, not equal.
            if mean_us > want + 1:
                errors.append(f"exec: mean {mean_us:.2f}us above commandstats {want:.2f}us")
            continue
        if name == "info":
            continue  # its usec holds the untraced INFO of the first snapshot
        if name in ("blpop", "brpop", "blmove", "bzpopmin", "bzpopmax"):
            # Redis 7.0 adds a served blocking command's first run twice to
            # usec (call() and updateStatsOnUnblock): only counts compare.
            continue
        tol = max(0.10 * want, 1.0)
        if abs(mean_us - want) > tol:
            errors.append(f"{name}: mean {mean_us:.3f}us vs commandstats {want:.3f}us (tolerance {tol:.2f}us)")
    extra = sorted(set(cmds) - set(delta))
    for name in extra:
        if cmds[name]["execution"]["count"]:
            errors.append(f"{name}: redlat saw {cmds[name]['execution']['count']}, commandstats none")
    total = sum(v[0] for v in delta.values())
    print(f"  compared {len(delta)} commands, {total} calls")
    for e in errors:
        print("  MISMATCH " + e)
    return not errors


def pcts(exact, sampled, specs):
    """specs: NAME:KEY,KEY... e.g. get:p50_ns,p99_ns"""
    _, ex = commands(exact)
    doc, sa = commands(sampled)
    assert doc["mode"] == "sampled"
    errors = []
    for spec in specs:
        name, keys = spec.split(":")
        if name not in sa:
            errors.append(f"{name}: not sampled")
            continue
        for key in keys.split(","):
            want = ex[name]["execution"][key]
            lo, hi = sa[name]["execution"]["ci95"][key]
            got = sa[name]["execution"][key]
            # the stated error is the 95% range; Redis's microsecond clock
            # quantizes every value to 1 us, so allow that too
            ok = lo - 1000 <= want <= hi + 1000
            print(f"  {name} {key}: exact {want:.0f}, sampled {got:.0f} [{lo:.0f}, {hi:.0f}] "
                  f"from {sa[name]['execution']['count']} samples{'' if ok else '  OUTSIDE'}")
            if not ok:
                errors.append(f"{name} {key}")
    for e in errors:
        print("  MISMATCH " + e)
    return not errors


if __name__ == "__main__":
    if sys.argv[1] == "counts":
        pid = int(sys.argv[5]) if len(sys.argv) > 5 else None
        ok = counts(*sys.argv[2:5], pid=pid, seen=int(sys.argv[6]) if len(sys.argv) > 6 else 0)
    elif sys.argv[1] == "pcts":
        ok = pcts(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
    sys.exit(0 if ok else 1)
