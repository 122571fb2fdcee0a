#!/usr/bin/env bash
# Runs on the lent GPU host (no Node.js there): unpack the bundle, check the
# machine, run the correctness matrix, check that every shipped scenario
# verifies on this GPU (selftest --scenario), then run the given scenarios.
# Full logs go to $OUT; a short table is printed last.
#   scripts/gpu-session.sh <bundle dir> [scenario ...]
set -uo pipefail
bundle=${1:?bundle dir}; shift
out=${OUT:-/tmp/gb-out}; mkdir -p "$out"
gb="$bundle/gatherbench"
nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current,clocks.sm,power.draw --format=csv > "$out/nvidia-smi.csv" 2>&1
"$gb" info > "$out/info.txt" 2>&1; echo "info: exit $?"
if [ -z "${SKIP_SELFTEST:-}" ]; then
  "$gb" selftest > "$out/selftest.txt" 2>&1; echo "selftest: exit $?"; tail -3 "$out/selftest.txt"
fi
if [ -z "${SKIP_SCENARIO_SELFTEST:-}" ]; then
  for f in "$bundle"/scenarios/*.yaml; do
    s=$(basename "$f" .yaml)
    "$gb" selftest --scenario "$s" > "$out/selftest-$s.txt" 2>&1; echo "selftest --scenario $s: exit $? ($(tail -1 "$out/selftest-$s.txt"))"
  done
fi
for s in "$@"; do
  "$gb" run "$s" -o /tmp/gb-results > "$out/run-$(basename "$s" .yaml).txt" 2>&1; echo "run $s: exit $?"
done
[ -d /tmp/gb-results ] && tar -C /tmp/gb-results -czf "$out/results.tgz" .
cat "$out/nvidia-smi.csv"; head -12 "$out/info.txt"
