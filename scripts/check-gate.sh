#!/usr/bin/env bash
# Measures the regression gate on this GPU runner (docs/nightly-ci.md, "Measuring the gate"): runs of unchanged
# nightly code and runs made with a planted 10% slowdown of every timed region (GATHERBENCH_TEST_SLOWDOWN_PCT=10),
# then gatherbench gate-study over every run in OUT: the false-failure rate per night over every choice of three
# baselines and a candidate, and the detection rate of the slowdown.
#   scripts/check-gate.sh <gatherbench command> [OUT] [N clean, default 8] [N slowed, default 2] [first clean run number, default 1]
# A nightly takes about 10 s on an H100 (2026-11-23): where one call may not run them all, make the runs in several calls into one OUT
# (e.g. 5 0 1, then 3 2 6) or study the runs of several OUTs afterwards with gatherbench gate-study anywhere.
set -uo pipefail
gb=${1:?usage: check-gate.sh GATHERBENCH-COMMAND [OUT] [N] [SLOWED] [FIRST]}
out=${2:-gate-check}; n=${3:-8}; s=${4:-2}; first=${5:-1}
mkdir -p "$out"
for i in $(seq "$first" $((first + n - 1))); do
  $gb run nightly -o "$out/clean-$i" --no-report > "$out/run-clean-$i.txt" 2>&1 || { echo "clean run $i failed"; exit 2; }
  echo "clean run $i: $(grep "^timed " "$out/run-clean-$i.txt" | tail -n 1)"
done
for i in $(seq 1 "$s"); do
  GATHERBENCH_TEST_SLOWDOWN_PCT=10 $gb run nightly -o "$out/slow-$i" --no-report > "$out/run-slow-$i.txt" 2>&1 || { echo "slowed run $i failed"; exit 2; }
  echo "slowed run $i: $(grep "^timed " "$out/run-slow-$i.txt" | tail -n 1)"
done
shopt -s nullglob
runs=("$out"/clean-*/*/); slowed=("$out"/slow-*/*/)
if [ "${#runs[@]}" -lt 4 ]; then echo "${#runs[@]} clean run(s) in $out: the study needs 4 (three baselines and a candidate)"; exit 0; fi
$gb gate-study "${runs[@]}" --plant 10% ${slowed:+--slowed "${slowed[@]}"} --json "$out/study.json" | tee "$out/study.txt"
