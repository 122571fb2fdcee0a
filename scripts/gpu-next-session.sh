#!/usr/bin/env bash
# Everything the open issues still need from an H100, in six device calls, in issue order (each should stay
# under 10 minutes; time part 1 first and adjust). After every step the runs so far and the logs are archived
# again, so a call stopped at its limit still brings back what it finished.
# Make the bundle and the old build first: npm run bundle && scripts/bundle-old.sh 120ff0b; carry one tar of the bundle dir.
#   part 1: timed region (selftest of every method, sampled path, cliff cold/warm/old, fault, corruption),
#           pytorch-direct and characterize with this build (#10, #11), device-resident small rows (#12 item 16)
#   part 2: #11's old-against-new check on the paper's paths of pytorch-direct: the old build twice, this one
#           warm (--no-flush) and cold once more; compare them here
#   part 3: #13, five nightly runs of unchanged code
#   part 4: #13, three more nightly runs and two slowed by 10%; then here:
#           gatherbench gate-study <8 clean runs> --plant 10% --slowed <2 slowed runs>
#   part 5: #14, kv-cache and feature-cache
#   part 6: #15, pytorch-direct with the torch peers and sorted zero-copy, peers.yaml, plain PyTorch
#   scripts/gpu-next-session.sh <bundle dir> <old bundle dir> <part>
# Runs and logs land in $OUT as two archives (the lent machine returns at most 8 files); file them here with
# scripts/unpack-device-runs.sh <the reply's files_at> h100.
set -uo pipefail
b=${1:?bundle dir}; old=${2:?old bundle dir}; part=${3:?part 1 to 6}
gb="$b/gatherbench"; out=${OUT:-/tmp/gb-out}; res=/tmp/gb-runs-$part; logs=/tmp/gb-logs-$part; mkdir -p "$out" "$logs" "$res"
say() { echo "== $*"; }
# Runs and logs so far, archived again after each step: $OUT only ever holds these two files.
archive() {
  tar -C "$res" -czf /tmp/runs.tgz . && mv /tmp/runs.tgz "$out/runs-part$part.tgz"
  tar -C "$logs" -czf /tmp/logs.tgz . && mv /tmp/logs.tgz "$out/logs-part$part.tgz"
}
timed() { local name=$1; shift; /usr/bin/time -f "$name: %e s" "$@" > "$logs/$name.txt" 2>&1; echo "$name: exit $?"; tail -n 2 "$logs/$name.txt"; archive; }
if [ "$part" = 1 ]; then
  say "timed region: selftest (all methods), sampled path, cliff cold/warm/old, fault, corruption"
  OUT="$logs/check" bash "$(dirname "$0")/check-timed-region.sh" "$b" "$old" > "$logs/check.txt" 2>&1; tail -n 12 "$logs/check.txt"; archive
  say "issue 11: pytorch-direct and characterize with the final build"
  timed pytorch-direct "$gb" run pytorch-direct -o "$res" --methods host-gather-copy,host-memcpy,pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned,device-resident,uvm
  timed characterize "$gb" run characterize -o "$res"
  say "issue 12 item 16: device-resident small rows, warp per row against sub-warp groups"
  timed device-small-rows "$gb" run device-small-rows -o "$res"
elif [ "$part" = 2 ]; then
  say "issue 11: the old build (warm, as it was) against this one, warm and cold, on pytorch-direct's paper paths"
  paths=pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned
  timed old-1 "$old/gatherbench" run pytorch-direct -o "$res/old" --methods $paths
  timed old-2 "$old/gatherbench" run pytorch-direct -o "$res/old" --methods $paths
  timed new-warm "$gb" run pytorch-direct -o "$res/new-warm" --methods $paths --no-flush
  timed new-cold "$gb" run pytorch-direct -o "$res/new-cold" --methods $paths
elif [ "$part" = 3 ]; then
  say "issue 13: five nightly runs of unchanged code (a nightly takes about a minute; part 4 makes the rest)"
  timed gate bash "$(dirname "$0")/check-gate.sh" "$gb" "$res/gate" 5 0 1
elif [ "$part" = 4 ]; then
  say "issue 13: three more nightly runs and two slowed by 10% (study all eight here: gatherbench gate-study)"
  timed gate bash "$(dirname "$0")/check-gate.sh" "$gb" "$res/gate" 3 2 6
elif [ "$part" = 5 ]; then
  say "issue 14: kv-cache and feature-cache"
  timed kv-cache "$gb" run kv-cache -o "$res"
  timed feature-cache "$gb" run feature-cache -o "$res"
else
  say "issue 15: pytorch-direct with the torch peers and sorted zero-copy, peers.yaml (2 KB rows), plain PyTorch"
  timed pytorch-direct-peers "$gb" run pytorch-direct -o "$res" --methods zerocopy-aligned,zerocopy-sorted,torch-pageable,torch-pinned,dgl-uva
  timed peers "$gb" run peers -o "$res"
  timed torch-baseline python3 "$(dirname "$0")/torch-baseline.py"
fi
archive
