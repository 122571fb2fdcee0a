#!/usr/bin/env python3
"""A plain PyTorch timing of the two calls gatherbench's torch peers make, with nothing of gatherbench in it:
the check that the peers' numbers are PyTorch's (they should agree within 10% on the same machine and shapes).

  python3 scripts/torch-baseline.py [--rows-bytes 8GiB] [--widths 512,1024] [--batches 16384,131072] [--flush-between]
                                    [--pause-ms N]

For each width (fp32 elements) and batch: a random-valued int32 table in pageable CPU memory (one fill, every
width a view of it), uniform random
indices (a fresh set per sample), CUDA events around the call, 5 warm-up calls, the median of 30, output
checked against the table. Prints one line per shape: GB/s of useful bytes for both calls (the median, and the
10th to 90th percentile of the 30 samples: the pageable path's own spread on this machine).
"""
import argparse
import statistics
import time

import torch


def size(s):
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for u, m in units.items():
        if s.endswith(u):
            return int(float(s[: -len(u)]) * m)
    return int(s)


def time_call(fn, idx_sets, ref_of, between):
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for i, idx in enumerate(idx_sets):
        between()
        e0.record()
        out = fn(idx)
        e1.record()
        e1.synchronize()
        if i < 3 and not torch.equal(out.cpu(), ref_of(idx)):
            raise SystemExit("output differs from the table")
        if i >= 5:
            times.append(e0.elapsed_time(e1) / 1e3)
    deciles = statistics.quantiles(times, n=10)
    return statistics.median(times), deciles[0], deciles[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows-bytes", default="8GiB")
    ap.add_argument("--widths", default="512,1024")
    ap.add_argument("--batches", default="16384,131072")
    ap.add_argument("--flush-between", action="store_true",
                    help="write 256 MiB of GPU memory and synchronize before each call, as gatherbench's peers do")
    ap.add_argument("--pause-ms", type=float, default=0,
                    help="sleep this long before each call: the pace of a harness that verifies and flushes between samples")
    a = ap.parse_args()
    flush = torch.empty(256 << 20, dtype=torch.uint8, device="cuda") if a.flush_between else None

    def between():
        if flush is not None:
            flush.zero_()
            torch.cuda.synchronize()
        if a.pause_ms > 0:
            time.sleep(a.pause_ms / 1e3)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {torch.cuda.get_device_name()}")
    # One table of random words in pageable CPU memory; each width is a view of it. Drawn on the GPU in
    # 256 MiB pieces (torch.randint on the CPU took about 30 s for 8 GiB).
    words = torch.empty(size(a.rows_bytes) // 4, dtype=torch.int32)
    for f in range(0, words.numel(), 1 << 26):
        piece = words[f : f + (1 << 26)]
        piece.copy_(torch.randint(-(2**31), 2**31 - 1, (piece.numel(),), dtype=torch.int32, device="cuda"))
    for width in map(int, a.widths.split(",")):
        rows = size(a.rows_bytes) // (4 * width)
        feat = words[: rows * width].view(rows, width)
        for batch in map(int, a.batches.split(",")):
            sets = [torch.randint(0, rows, (batch,), dtype=torch.int64) for _ in range(35)]
            pinned = torch.empty((batch, width), dtype=torch.int32).pin_memory()

            def pageable(idx):
                return feat[idx].to("cuda")

            def tuned(idx):
                torch.index_select(feat, 0, idx, out=pinned)
                return pinned.to("cuda", non_blocking=True)

            gb = batch * width * 4 / 1e9
            rate = lambda t: f"{gb / t[0]:.2f} GB/s ({gb / t[2]:.2f}-{gb / t[1]:.2f})"
            t_page = time_call(pageable, sets, lambda i: feat[i], between)
            t_pin = time_call(tuned, sets, lambda i: feat[i], between)
            print(f"width {width} ({width * 4} B rows) batch {batch}: torch-pageable {rate(t_page)}, torch-pinned {rate(t_pin)}")
    print(f"huge pages backing this process: {huge_pages_mb()} MB (AnonHugePages; the table is {size(a.rows_bytes) >> 20} MB)")


def huge_pages_mb():
    """The process's memory in transparent huge pages: whether the table (and torch's outputs) got 2 MB pages."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
