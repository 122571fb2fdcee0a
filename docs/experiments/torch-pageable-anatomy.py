#!/usr/bin/env python3
"""Where torch-pageable's time goes, and which part of it changes from one process to the next.

  python3 docs/experiments/torch-pageable-anatomy.py [--table-gib 8] [--width 1024] [--batch 131072] [--samples 20]

feat[idx].to('cuda') is two steps: the index on CPU threads into a freshly allocated pageable tensor, then a
pageable host-to-device copy (the driver stages it through pinned buffers of its own). This times each step
alone (host clock, after a device synchronize), and the same copy out of a reused pageable buffer (no fresh
pages to fault in), so that a run-to-run difference can be put on one of them. It also prints the kernel's
transparent-huge-page settings and how much of the process's memory is on huge pages: a fresh 512 MB output
is faulted in page by page, on 4 KB pages or 2 MB ones as the kernel can.
Run it in several processes: the plain script (torch-baseline.py) disagrees with itself by up to 46% between
processes on one machine.
"""
import argparse
import statistics
import time

import torch


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return f"unreadable ({e.strerror})"


def anon_huge_kb():
    for line in read("/proc/self/smaps_rollup").splitlines():
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1])
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table-gib", type=float, default=8)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=131072)
    ap.add_argument("--samples", type=int, default=20)
    a = ap.parse_args()
    thp = read("/sys/kernel/mm/transparent_hugepage/enabled"), read("/sys/kernel/mm/transparent_hugepage/defrag")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; THP enabled {thp[0]}, defrag {thp[1]}")
    rows = int(a.table_gib * (1 << 30)) // (4 * a.width)
    feat = torch.empty((rows, a.width), dtype=torch.int32)
    for r in range(0, rows, 1 << 16):  # drawn on the GPU: torch.randint on the CPU takes about 30 s for 8 GiB
        piece = feat[r : r + (1 << 16)]
        piece.copy_(torch.randint(-(2**31), 2**31 - 1, piece.shape, dtype=torch.int32, device="cuda"))
    torch.cuda.init()
    gb = a.batch * a.width * 4 / 1e9
    reused = torch.empty((a.batch, a.width), dtype=torch.int32)
    reused.zero_()
    steps = {"index (fresh output)": [], "copy (of that output)": [], "whole call": [], "index (reused output)": [], "copy (reused output)": []}
    huge = []
    for i in range(a.samples + 3):
        idx = torch.randint(0, rows, (a.batch,), dtype=torch.int64)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = feat[idx]
        t1 = time.perf_counter()
        dev = out.to("cuda")
        torch.cuda.synchronize()
        t2 = time.perf_counter()
        huge.append(anon_huge_kb())
        if i == 0 and not torch.equal(dev.cpu(), feat[idx]):
            raise SystemExit("output differs from the table")
        del out, dev
        torch.cuda.synchronize()
        t3 = time.perf_counter()
        torch.index_select(feat, 0, idx, out=reused)
        t4 = time.perf_counter()
        dev = reused.to("cuda")
        torch.cuda.synchronize()
        t5 = time.perf_counter()
        del dev
        if i >= 3:
            for k, v in zip(steps, (t1 - t0, t2 - t1, t2 - t0, t4 - t3, t5 - t4)):
                steps[k].append(v)
    for k, v in steps.items():
        q = statistics.quantiles(v, n=10)
        print(f"{k:24s} median {statistics.median(v) * 1e3:7.1f} ms  p10-p90 {q[0] * 1e3:6.1f}-{q[-1] * 1e3:6.1f} ms  {gb / statistics.median(v):5.2f} GB/s")
    print(f"AnonHugePages after each call: min {min(huge) // 1024} MiB, max {max(huge) // 1024} MiB")


if __name__ == "__main__":
    main()
