#!/usr/bin/env bash
# Checks the regression gate on this GPU runner: a nightly run of unchanged
# code must compare clean against three baseline runs, and a run deliberately
# slowed by a spin inside every timed region (GATHERBENCH_TEST_SLOWDOWN_US)
# must be flagged.
#   scripts/check-gate.sh <gatherbench command> [out dir] [slowdown µs]
set -uo pipefail
gb=${1:?usage: check-gate.sh GATHERBENCH-COMMAND [OUT] [MICROSECONDS]}
out=${2:-gate-check}; us=${3:-500}
mkdir -p "$out"
$gb run nightly -o "$out/a" --no-report > "$out/run-a.txt" 2>&1 || { echo "run a failed"; exit 2; }
$gb run nightly -o "$out/b" --no-report > "$out/run-b.txt" 2>&1 || { echo "run b failed"; exit 2; }
$gb run nightly -o "$out/c" --no-report > "$out/run-c.txt" 2>&1 || { echo "run c failed"; exit 2; }
$gb run nightly -o "$out/d" --no-report > "$out/run-d.txt" 2>&1 || { echo "run d failed"; exit 2; }
GATHERBENCH_TEST_SLOWDOWN_US=$us $gb run nightly -o "$out/slow" --no-report > "$out/run-slow.txt" 2>&1 || { echo "slowed run failed"; exit 2; }
a=$(ls -d "$out"/a/*); b=$(ls -d "$out"/b/*); c=$(ls -d "$out"/c/*); d=$(ls -d "$out"/d/*); s=$(ls -d "$out"/slow/*)
$gb compare "$a" "$b" "$c" "$d" --markdown "$out/clean.md" --junit "$out/clean.xml" > "$out/compare-clean.txt" 2>&1; clean=$?
$gb compare "$a" "$b" "$c" "$s" --markdown "$out/slowed.md" --junit "$out/slowed.xml" > "$out/compare-slowed.txt" 2>&1; slowed=$?
# the same with one baseline run, for contrast (run-to-run noise unknown)
$gb compare "$a" "$d" > "$out/compare-one-baseline.txt" 2>&1
echo "clean compare: exit $clean (want 0): $(tail -n 1 "$out/compare-clean.txt")"
echo "slowed compare: exit $slowed (want 1): $(tail -n 1 "$out/compare-slowed.txt")"
[ "$clean" = 0 ] && [ "$slowed" = 1 ]
