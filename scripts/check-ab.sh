#!/usr/bin/env bash
# Measures the A/B gate on this GPU runner (docs/nightly-ci.md, "Measuring the gate"): A/A jobs of one build
# against itself, one A/B job against the same build with a slowdown planted in the candidate only
# (GATHERBENCH_TEST_SLOWDOWN_PCT through a wrapper side), one run with a 10% plant for compare, then
# gate-study over every unchanged run the A/A jobs made. A short table is printed last.
#   scripts/check-ab.sh <gatherbench command> [OUT] [A/A jobs, default 3] [plant %, default 5] [scenario, default nightly]
set -uo pipefail
gb=${1:?usage: check-ab.sh GATHERBENCH-COMMAND [OUT] [AA-JOBS] [PLANT-PCT] [SCENARIO]}
out=${2:-ab-check}; jobs=${3:-3}; plant=${4:-5}; scenario=${5:-nightly}
mkdir -p "$out"
gbpath=$(command -v "$gb" || echo "$gb")
slowed="$out/slowed-side.sh"
printf '#!/bin/sh\nexport GATHERBENCH_TEST_SLOWDOWN_PCT=%s\nexec "%s" "$@"\n' "$plant" "$gbpath" > "$slowed"; chmod +x "$slowed"
summary() { grep -E "^[0-9]+ of [0-9]+ gated points slower" "$1" | tail -n 1; }
for i in $(seq 1 "$jobs"); do
  s=$(date +%s); "$gbpath" ab "$gbpath" "$gbpath" "$scenario" -o "$out/aa-$i" > "$out/aa-$i.txt" 2>&1; rc=$?
  echo "A/A $i: exit $rc, $(( $(date +%s) - s )) s: $(summary "$out/aa-$i.txt")"
done
s=$(date +%s); "$gbpath" ab "$gbpath" "$slowed" "$scenario" -o "$out/ab-$plant" > "$out/ab-$plant.txt" 2>&1; rc=$?
echo "A/B +$plant%: exit $rc, $(( $(date +%s) - s )) s: $(summary "$out/ab-$plant.txt")"
GATHERBENCH_TEST_SLOWDOWN_PCT=10 "$gbpath" run "$scenario" -o "$out/slow-10" --no-report > "$out/slow-10.txt" 2>&1
shopt -s nullglob
clean=("$out"/aa-*/round-*-[ab]/*/); slow=("$out"/slow-10/*/)
if [ "${#clean[@]}" -ge 4 ] && [ "${#slow[@]}" -ge 1 ]; then
  "$gbpath" compare "${clean[@]:0:3}" "${slow[0]}" > "$out/compare-10.txt" 2>&1
  echo "compare 3 baselines vs +10%: exit $?: $(summary "$out/compare-10.txt")"
  "$gbpath" gate-study "${clean[@]}" --plant 10% --slowed "${slow[@]}" --json "$out/study.json" > "$out/study.txt" 2>&1
  grep -E "^false failures|^detection" "$out/study.txt"
fi
