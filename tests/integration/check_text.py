#!/usr/bin/python3
"""Compare the bytes of redis-server's executable text in memory with the
file: a uprobe still installed shows as 0xcc (int3) where the file differs.
Usage: check_text.py PID"""
import sys

pid = int(sys.argv[1])
exe = f"/proc/{pid}/exe"
with open(exe, "rb") as f:
    data = f.read()
bad = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    target = None
    for line in maps:
        parts = line.split()
        if len(parts) < 6 or "x" not in parts[1]:
            continue
        path = parts[5]
        if not path.endswith(("redis-server", "redis-check-rdb", "valkey-server")):
            continue
        start, end = (int(x, 16) for x in parts[0].split("-"))
        off = int(parts[2], 16)
        mem.seek(start)
        live = mem.read(end - start)
        want = data[off:off + len(live)]
        for i, (a, b) in enumerate(zip(live, want)):
            if a != b:
                bad += 1
                if bad <= 5:
                    print(f"byte at file offset {off + i:#x}: memory {a:#04x}, file {b:#04x}")
        target = path
if target is None:
    print("no executable mapping of redis found")
    sys.exit(2)
sys.exit(1 if bad else 0)
