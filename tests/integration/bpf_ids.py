#!/usr/bin/python3
"""What of redlat is in the kernel, by BPF object id, robust to other
redlat runs on the same host (a count of programs is not).
  bpf_ids.py held PID      ids of the programs and links PID holds by fd
                           ("prog N" / "link N" lines, from /proc/PID/fdinfo)
  bpf_ids.py gone FILE     exit 1, naming them, if any id of FILE (as printed
                           by held) is still loaded
  bpf_ids.py link_types PID
                           "TYPE COUNT" of the links PID holds by fd, by
                           the link_type its fdinfo gives (uprobe_multi,
                           perf, raw_tracepoint, ...)
  bpf_ids.py mark          the highest program and link ids loaded now
  bpf_ids.py orphans P L   exit 1, naming them, if a program of redlat's
                           (by name, id > P) or a link to one (id > L) is
                           loaded while no process holds it
Program names come from the REDLAT_PROG_RE environment variable."""
import glob
import json
import os
import re
import subprocess
import sys


def bpftool(what):
    out = subprocess.run(["bpftool", what, "list", "-j"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout or "[]")


def held(pid):
    ids = set()
    for fd in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(fd) as f:
                text = f.read()
        except OSError:
            continue  # closed meanwhile, or a process of another namespace
        for kind in ("prog", "link"):
            m = re.search(rf"^{kind}_id:\s*(\d+)", text, re.M)
            # a link's fdinfo names its program too: count it as the link's
            if m and not (kind == "prog" and "link_id:" in text):
                ids.add((kind, int(m.group(1))))
    return ids


def link_types(pid):
    types = {}
    for fd in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(fd) as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^link_type:\s*(\S+)", text, re.M)
        if m:
            types[m.group(1)] = types.get(m.group(1), 0) + 1
    return types


def loaded():
    return {("prog", p["id"]) for p in bpftool("prog")} | {("link", l["id"]) for l in bpftool("link")}


def main():
    cmd = sys.argv[1]
    if cmd == "held":
        for kind, i in sorted(held(sys.argv[2])):
            print(kind, i)
    elif cmd == "link_types":
        for t, n in sorted(link_types(sys.argv[2]).items()):
            print(t, n)
    elif cmd == "gone":
        with open(sys.argv[2]) as f:
            want = {(k, int(i)) for k, i in (l.split() for l in f if l.strip())}
        left = sorted(want & loaded())
        if left:
            print("still loaded:", ", ".join(f"{k} {i}" for k, i in left))
            return 1
    elif cmd == "mark":
        progs, links = bpftool("prog"), bpftool("link")
        print(max([p["id"] for p in progs] or [0]), max([l["id"] for l in links] or [0]))
    elif cmd == "orphans":
        pmark, lmark = int(sys.argv[2]), int(sys.argv[3])
        name_re = re.compile(os.environ["REDLAT_PROG_RE"])
        mine = {p["id"]: p.get("name", "") for p in bpftool("prog") if name_re.search(p.get("name", ""))}
        owned = set()
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                owned |= held(pid)
        links = bpftool("link")
        # a program is held through a link to it as well
        owned |= {("prog", l.get("prog_id")) for l in links if ("link", l["id"]) in owned}
        left = [f"prog {i} ({n})" for i, n in sorted(mine.items())
                if i > pmark and ("prog", i) not in owned]
        left += [f"link {l['id']} (prog {l.get('prog_id')})" for l in links
                 if l["id"] > lmark and l.get("prog_id") in mine and ("link", l["id"]) not in owned]
        if left:
            print("held by no process:", ", ".join(left))
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


sys.exit(main())
