#!/usr/bin/python3
"""Compare the bytes of redis-server's executable text, and of the C
library's (redlat probes its fork()), in memory with the files: a uprobe
still installed shows as 0xcc (int3) where the file differs.
Usage: check_text.py PID"""
import os
import sys

pid = int(sys.argv[1])
files = {}
bad = 0
seen = set()
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        parts = line.split()
        if len(parts) < 6 or "x" not in parts[1]:
            continue
        path = parts[5]
        base = os.path.basename(path)
        if base in ("redis-server", "redis-check-rdb", "valkey-server"):
            src = f"/proc/{pid}/exe"
        elif base.startswith("libc.so") or base.startswith("libc-"):
            src = f"/proc/{pid}/root{path}"
        else:
            continue
        if src not in files:
            with open(src, "rb") as f:
                files[src] = f.read()
        data = files[src]
        start, end = (int(x, 16) for x in parts[0].split("-"))
        off = int(parts[2], 16)
        mem.seek(start)
        live = mem.read(end - start)
        want = data[off:off + len(live)]
        for i, (a, b) in enumerate(zip(live, want)):
            if a != b:
                bad += 1
                if bad <= 5:
                    print(f"{base}: byte at file offset {off + i:#x}: memory {a:#04x}, file {b:#04x}")
        seen.add("libc" if base.startswith("libc") else "redis")
if "redis" not in seen:
    print("no executable mapping of redis found")
    sys.exit(2)
sys.exit(1 if bad else 0)
