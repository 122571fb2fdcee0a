#!/usr/bin/env bash
# Checks the regression gate on this GPU runner: two nightly runs of the same
# code must compare clean, and a third, deliberately slowed by a spin kernel
# inside every timed region (GATHERBENCH_TEST_SLOWDOWN_US), must be flagged.
#   scripts/check-gate.sh <gatherbench command> [out dir] [slowdown µs]
set -uo pipefail
gb=${1:?usage: check-gate.sh GATHERBENCH-COMMAND [OUT] [MICROSECONDS]}
out=${2:-gate-check}; us=${3:-500}
mkdir -p "$out"
$gb run nightly -o "$out/a" --no-report > "$out/run-a.txt" 2>&1 || { echo "run a failed"; exit 2; }
$gb run nightly -o "$out/b" --no-report > "$out/run-b.txt" 2>&1 || { echo "run b failed"; exit 2; }
GATHERBENCH_TEST_SLOWDOWN_US=$us $gb run nightly -o "$out/slow" --no-report > "$out/run-slow.txt" 2>&1 || { echo "slowed run failed"; exit 2; }
a=$(ls -d "$out"/a/*); b=$(ls -d "$out"/b/*); s=$(ls -d "$out"/slow/*)
$gb compare "$a" "$b" --markdown "$out/clean.md" --junit "$out/clean.xml" > "$out/compare-clean.txt" 2>&1; clean=$?
$gb compare "$a" "$s" --markdown "$out/slowed.md" --junit "$out/slowed.xml" > "$out/compare-slowed.txt" 2>&1; slowed=$?
echo "clean compare: exit $clean (want 0): $(tail -n 1 "$out/compare-clean.txt")"
echo "slowed compare: exit $slowed (want 1): $(tail -n 1 "$out/compare-slowed.txt")"
[ "$clean" = 0 ] && [ "$slowed" = 1 ]
