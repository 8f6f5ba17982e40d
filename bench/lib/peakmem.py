#!/usr/bin/env python3
"""Runs a command and reports its memory: the peak of the whole process tree's summed RSS (sampled),
the largest single-process peak (VmHWM, sampled while each process lives) and the kernel's own
ru_maxrss from wait4 (the largest of the child and the descendants it waited for).

    peakmem.py --out FILE [--interval-ms 2] -- ARGV...

Node cannot get a child's rusage, and /proc entries vanish at exit, hence this small wrapper.
The command's stdin/stdout/stderr are inherited; the report goes to FILE as JSON.
"""
import json
import os
import sys
import time


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def tree(pid):
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children(p))
    return seen


def status_kb(pid, keys):
    vals = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in keys:
                    vals[k] = int(v.split()[0])
    except OSError:
        pass
    return vals


def main():
    args = sys.argv[1:]
    out_file, interval = None, 0.002
    while args and args[0] != "--":
        if args[0] == "--out":
            out_file = args[1]
            args = args[2:]
        elif args[0] == "--interval-ms":
            interval = float(args[1]) / 1000
            args = args[2:]
        else:
            sys.exit(f"peakmem.py: unknown option {args[0]}")
    argv = args[1:]
    if not out_file or not argv:
        sys.exit("usage: peakmem.py --out FILE [--interval-ms N] -- ARGV...")

    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)

    tree_peak_kb, hwm = 0, {}
    names = {}
    while True:
        done, status, rusage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        total = 0
        for p in tree(pid):
            s = status_kb(p, ("VmRSS", "VmHWM"))
            total += s.get("VmRSS", 0)
            if "VmHWM" in s:
                hwm[p] = max(hwm.get(p, 0), s["VmHWM"])
                if p not in names:
                    try:
                        with open(f"/proc/{p}/comm") as f:
                            names[p] = f.read().strip()
                    except OSError:
                        names[p] = "?"
        tree_peak_kb = max(tree_peak_kb, total)
        time.sleep(interval)
    wall_ms = (time.monotonic() - start) * 1000
    per_process = sorted(
        ({"pid": p, "name": names.get(p, "?"), "hwmKb": kb} for p, kb in hwm.items()),
        key=lambda e: -e["hwmKb"],
    )
    report = {
        "exitCode": os.waitstatus_to_exitcode(status),
        "wallMs": wall_ms,
        "treePeakRssKb": tree_peak_kb,
        "maxProcessHwmKb": per_process[0]["hwmKb"] if per_process else 0,
        "ruMaxrssKb": rusage.ru_maxrss,
        "processes": per_process[:8],
    }
    with open(out_file, "w") as f:
        json.dump(report, f)
    sys.exit(0 if report["exitCode"] == 0 else 1)


if __name__ == "__main__":
    main()
