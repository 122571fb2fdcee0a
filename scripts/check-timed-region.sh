#!/usr/bin/env bash
# On a GPU host, from a bundle: the checks of "time exactly the gather, cold".
#   scripts/check-timed-region.sh <bundle dir> [<old bundle dir>]
# 1. selftest (every method, rotated index sets, checksums);
# 2. scenarios/cliff.yaml cold (default) and warm (--no-flush), side by side;
# 3. with an old build given: the same cliff run with it (warm, launch latency inside the events);
# 4. multi-GPU fault injection: the planted CUDA error fails the 2-GPU points alone;
# 5. a planted wrong output on the GPU, after a set's verified first run (the GPU's pattern check must name
#    the row) or after a timed sample (the checksum), fails its point and is never timed.
# Logs and runs go to $OUT (default /tmp/gb-out); a short table is printed last.
set -uo pipefail
gb="${1:?bundle dir}/gatherbench"
old="${2:-}"
out=${OUT:-/tmp/gb-out}; mkdir -p "$out"; res=/tmp/gb-results; mkdir -p "$res"
run() { local name=$1; shift; "$@" > "$out/$name.txt" 2>&1; echo "$name: exit $?"; { grep "^timed " "$out/$name.txt" || tail -n 1 "$out/$name.txt"; } | tail -n 1; }
nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,pcie.link.width.current --format=csv,noheader > "$out/gpu.txt" 2>&1
run info "$gb" info
run selftest "$gb" selftest
run cliff-cold "$gb" run cliff -o "$res/cold"
run cliff-warm "$gb" run cliff --no-flush -o "$res/warm"
[ -n "$old" ] && run cliff-old "$old/gatherbench" run cliff -o "$res/old"  # the old build reads its own copy of cliff.yaml
run fault env GATHERBENCH_TEST_SAME_DEVICE=1 GATHERBENCH_TEST_CUDA_ERROR=1 "$gb" run multi-gpu-fault -o "$res/fault"
run corrupt-first env GATHERBENCH_TEST_CORRUPT=first "$gb" run multi-gpu-fault --methods zerocopy-aligned,device-resident,pinned-memcpy,cpu-gather-memcpy -o "$res/corrupt-first"
run corrupt env GATHERBENCH_TEST_CORRUPT=4 "$gb" run multi-gpu-fault --methods zerocopy-aligned,device-resident,pinned-memcpy,cpu-gather-memcpy -o "$res/corrupt"
cat "$out/gpu.txt"
grep -hE "^\[.*(failed|verification)" "$out/fault.txt" "$out/corrupt-first.txt" "$out/corrupt.txt" | cut -c1-160 | head -16
# Few files come back from a lent machine: one archive of the runs, one of the logs.
tar -C "$res" -czf /tmp/runs.tgz . && mv /tmp/runs.tgz "$out/runs.tgz"
tar -C "$out" -czf /tmp/logs.tgz --exclude runs.tgz . && find "$out" -name '*.txt' -delete && mv /tmp/logs.tgz "$out/logs.tgz"
