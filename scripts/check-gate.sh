#!/usr/bin/env bash
# Measures the regression gate on this GPU runner (docs/nightly-ci.md, "Measuring the gate"): N nightly
# runs of unchanged code and two made with a planted 10% slowdown of every timed region
# (GATHERBENCH_TEST_SLOWDOWN_PCT=10), then gatherbench gate-study over them: the false-failure rate per
# night over every choice of three baselines and a candidate, and the detection rate of the slowdown.
#   scripts/check-gate.sh <gatherbench command> [out dir] [N runs, default 8]
set -uo pipefail
gb=${1:?usage: check-gate.sh GATHERBENCH-COMMAND [OUT] [N]}
out=${2:-gate-check}; n=${3:-8}
mkdir -p "$out"
runs=()
for i in $(seq 1 "$n"); do
  $gb run nightly -o "$out/clean-$i" --no-report > "$out/run-clean-$i.txt" 2>&1 || { echo "clean run $i failed"; exit 2; }
  runs+=("$(ls -d "$out/clean-$i"/*)")
done
slowed=()
for i in 1 2; do
  GATHERBENCH_TEST_SLOWDOWN_PCT=10 $gb run nightly -o "$out/slow-$i" --no-report > "$out/run-slow-$i.txt" 2>&1 || { echo "slowed run $i failed"; exit 2; }
  slowed+=("$(ls -d "$out/slow-$i"/*)")
done
$gb gate-study "${runs[@]}" --plant 10% --slowed "${slowed[@]}" --json "$out/study.json" | tee "$out/study.txt"
