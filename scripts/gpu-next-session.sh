#!/usr/bin/env bash
# What the open issues still need from an H100, in two device calls (each under 10 minutes). After every step
# the runs so far and the logs are archived again, so a call stopped at its limit still brings back what it
# finished.
#   part 1: #11: pytorch-direct's paper paths cold (verification no longer reads the table) and warm, the old
#           build (120ff0b) twice on the same machine, all eight paper methods, characterize; then here:
#           gatherbench compare <old runs> <new run>, and the timing objects
#   part 2: #15: scripts/torch-baseline.py, peers, torch-baseline.py again (the plain script's own spread);
#           #12 item 16: device-small-rows and pytorch-direct's device-resident points with this build and the
#           one before the GPU-memory kernel changed (the bundle's prev/, when there)
#   part 3: #11: pytorch-direct's eight paper methods with uvm prefetched to the GPU at each point's start
#           (5003b99), and uvm with the build before (moved back to host, then faulted in by the first runs).
#           Not the same timed state: prefetched, uvm read exactly as device-resident; faulted in, up to 4.5x
#           slower at 1K-16K rows. 5003b99 was reverted. #15: the torch peers cold and warm (--no-flush)
#           beside the plain script
#   part 4: #12 item 16: device-resident in pytorch-direct and device-small-rows, this build and prev/ (one vector
#           a lane only for short rows from GPU memory); #11: the eight paper methods; #15: the plain script three
#           times with the torch peers (2 and 4 KB rows) twice between them, for each side's run-to-run spread
#   part 5: #15: the machine's NUMA layout, then the plain script and the torch peers (their table now first
#           touched by torch's threads) once each
#   part 6: #11: four index sets where the GPU reads the rows (was up to 4,096): the eight paper methods, then
#           the four GPU-read ones with prev/ (the build before), this build, prev/ again, and characterize
#   part 7: #15: where torch-pageable's time goes (torch-pageable-anatomy.py) in three processes, the plain
#           script and the torch peers between them
#   part 8: #11: the flush also evicts the translations of the pinned table's pages, so zero-copy, copy engines
#           and device-resident rotate through four sets: the eight paper methods; the five such methods of
#           pytorch-direct with prev/ and this build, twice each, interleaved; characterize. #15: the plain
#           script and the torch peers, alternated (script, peers, script, peers, script)
#   part 9: #11: how many pages the translation flush must read: zero-copy and pinned-memcpy at 1K and 16K
#           rows with addons built for 131072, 8192, 32768, 2048 and 131072 pages (the bundle's variants/,
#           made by hand); the eight paper methods and characterize with 32768; #15: script, peers, script
#   part 10: #11: the build before this session's changes (prev/) twice and this one twice, interleaved, on the
#           paper's GPU paths; the eight paper methods; characterize
#   part 11: #15: the plain script with and without a GPU flush between calls (as the peers have), the torch
#           peers, and both again
#   part 12: #15: the plain script and the torch peers (now 30 samples at least a point) in turn, three and two
#   scripts/gpu-next-session.sh <bundle dir> <old bundle dir> <part>
# Make the bundle and the old builds first: npm run bundle && scripts/bundle-old.sh 120ff0b &&
# scripts/bundle-old.sh fbe4cc9 "" prev && scripts/pack-carry.sh; carry .gpu, unpack it there with
# tar -C /tmp/b -xJf .gpu/gb.txz. Runs and logs land in $OUT as two
# archives; file them here with scripts/unpack-device-runs.sh <the reply's files_at> <prefix>.
set -uo pipefail
b=${1:?bundle dir}; old=${2:?old bundle dir}; part=${3:?part 1 to 12}
gb="$b/gatherbench"; out=${OUT:-/tmp/gb-out}; res=/tmp/gb-runs-$part; logs=/tmp/gb-logs-$part; mkdir -p "$out" "$logs" "$res"
say() { echo "== $*"; }
# Runs and logs so far, archived again after each step: $OUT only ever holds these two files.
archive() {
  tar -C "$res" -czf /tmp/runs.tgz . && mv /tmp/runs.tgz "$out/runs-part$part.tgz"
  tar -C "$logs" -czf /tmp/logs.tgz . && mv /tmp/logs.tgz "$out/logs-part$part.tgz"
}
# The peers scenario's torch methods at 2 and 4 KB rows.
torch_peers_yaml() {
  sed -e 's/^name: peers/name: torch-peers/' -e 's/^methods: .*/methods: [torch-pageable, torch-pinned]/' \
      -e 's/^  width: .*/  width: [512, 1024]/' "$b/scenarios/peers.yaml" > /tmp/torch-peers.yaml
}
# The plain script and the torch peers in turn, the script first and last: torch_alternation <script runs>
torch_alternation() {
  local rounds=$1 i
  torch_peers_yaml
  for i in $(seq 1 "$rounds"); do
    timed "torch-baseline-$i" python3 "$(dirname "$0")/torch-baseline.py"
    [ "$i" -lt "$rounds" ] && timed "torch-peers-$i" "$gb" run /tmp/torch-peers.yaml -o "$res/torch-peers" --no-report
  done
}
timed() { local name=$1; shift; /usr/bin/time -f "$name: %e s" "$@" > "$logs/$name.txt" 2>&1; echo "$name: exit $?"; tail -n 2 "$logs/$name.txt"; archive; }
nvidia-smi --query-gpu=name,uuid,driver_version --format=csv,noheader > "$logs/gpu.txt"; cat "$logs/gpu.txt"; cat "$b/COMMIT"
if [ "$part" = 12 ]; then
  say "issue 15: the plain script and the torch peers (30 samples a point) in turn"
  torch_alternation 3
elif [ "$part" = 11 ]; then
  say "issue 15: the plain script without and with a flush between calls, the peers, both again"
  torch_peers_yaml
  for i in 1 2; do
    timed "torch-baseline-$i" python3 "$(dirname "$0")/torch-baseline.py"
    timed "torch-baseline-flush-$i" python3 "$(dirname "$0")/torch-baseline.py" --flush-between
    [ $i = 1 ] && timed torch-peers "$gb" run /tmp/torch-peers.yaml -o "$res/torch-peers" --no-report
  done
elif [ "$part" = 10 ]; then
  say "issue 11: prev and this build interleaved on the paper's GPU paths; the eight paper methods; characterize"
  gpu=pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned,device-resident
  for i in 1 2; do
    timed prev-$i "$b/prev/gatherbench" run pytorch-direct -o "$res/prev" --methods $gpu --no-report
    timed new-$i "$gb" run pytorch-direct -o "$res/new" --methods $gpu --no-report
  done
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,$gpu,uvm --no-report
  timed characterize "$gb" run characterize -o "$res" --no-report
elif [ "$part" = 9 ]; then
  say "issue 11: pages the translation flush reads; paper and characterize; issue 15: script, peers, script"
  addon="$b/build/Release/gatherbench.node"; keep=$(mktemp); cp "$addon" "$keep"
  for n in 131072 8192 32768 2048 131072; do
    cp "$b/variants/gatherbench-$n.node" "$addon"
    timed "pages-$n" "$gb" run pytorch-direct -o "$res/pages-$n" --methods zerocopy-naive,zerocopy-aligned,pinned-memcpy --only "$b/variants/sensitive.txt" --no-report
  done
  cp "$keep" "$addon"
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned,device-resident,uvm --no-report
  timed characterize "$gb" run characterize -o "$res" --no-report
  torch_alternation 2
elif [ "$part" = 8 ]; then
  say "issue 11: translations flushed, four sets; prev and this build interleaved; characterize; issue 15: script and peers alternated"
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned,device-resident,uvm --no-report
  few=pinned-memcpy,zerocopy-naive,zerocopy-aligned,zerocopy-sorted,device-resident
  for i in 1 2; do
    timed few-prev-$i "$b/prev/gatherbench" run pytorch-direct -o "$res/few-prev" --methods $few --no-report
    timed few-new-$i "$gb" run pytorch-direct -o "$res/few-new" --methods $few --no-report
  done
  timed characterize "$gb" run characterize -o "$res" --no-report
  torch_alternation 3
elif [ "$part" = 6 ]; then
  say "issue 11: four index sets where the GPU reads; prev, this build, prev; characterize"
  gpuread=zerocopy-naive,zerocopy-aligned,device-resident,uvm
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,pinned-memcpy,cpu-gather-memcpy,$gpuread --no-report
  timed gpuread-prev-1 "$b/prev/gatherbench" run pytorch-direct -o "$res/gpuread-prev" --methods $gpuread --no-report
  timed gpuread-new "$gb" run pytorch-direct -o "$res/gpuread-new" --methods $gpuread --no-report
  timed characterize "$gb" run characterize -o "$res" --no-report
  timed gpuread-prev-2 "$b/prev/gatherbench" run pytorch-direct -o "$res/gpuread-prev" --methods $gpuread --no-report
elif [ "$part" = 7 ]; then
  say "issue 15: torch-pageable's anatomy in three processes, plain torch and the peers between"
  torch_peers_yaml
  timed anatomy-1 python3 "$(dirname "$0")/torch-pageable-anatomy.py"
  timed torch-baseline python3 "$(dirname "$0")/torch-baseline.py"
  timed anatomy-2 python3 "$(dirname "$0")/torch-pageable-anatomy.py"
  timed torch-peers "$gb" run /tmp/torch-peers.yaml -o "$res/torch-peers" --no-report
  timed anatomy-3 python3 "$(dirname "$0")/torch-pageable-anatomy.py"
elif [ "$part" = 1 ]; then
  say "issue 11: the old build against this one on one machine, the eight paper paths, characterize"
  paths=pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned
  timed new-cold "$gb" run pytorch-direct -o "$res/new-cold" --methods $paths --no-report
  timed old-1 "$old/gatherbench" run pytorch-direct -o "$res/old" --methods $paths --no-report
  timed old-2 "$old/gatherbench" run pytorch-direct -o "$res/old" --methods $paths --no-report
  timed new-warm "$gb" run pytorch-direct -o "$res/new-warm" --methods $paths --no-flush --no-report
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,$paths,device-resident,uvm --no-report
  timed characterize "$gb" run characterize -o "$res" --no-report
elif [ "$part" = 5 ]; then
  say "issue 15: NUMA layout, plain torch, the peers, plain torch"
  { lscpu; numactl -H 2>&1; cat /sys/bus/pci/devices/*/numa_node 2>/dev/null | sort | uniq -c; } > "$logs/numa.txt" 2>&1
  grep -iE "^NUMA|Socket|Model name" "$logs/numa.txt"
  torch_alternation 2
elif [ "$part" = 4 ]; then
  say "issue 12 item 16 again; issue 11: the eight paper paths; issue 15: plain torch and the peers, interleaved"
  paths=pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned
  timed device-resident "$gb" run pytorch-direct -o "$res/device-resident" --methods device-resident --no-report
  timed device-small-rows "$gb" run device-small-rows -o "$res/device-small-rows" --no-report
  if [ -x "$b/prev/gatherbench" ]; then
    timed device-resident-prev "$b/prev/gatherbench" run pytorch-direct -o "$res/device-resident-prev" --methods device-resident --no-report
    timed device-small-rows-prev "$b/prev/gatherbench" run device-small-rows -o "$res/device-small-rows-prev" --no-report
  fi
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,$paths,device-resident,uvm --no-report
  torch_alternation 3
elif [ "$part" = 3 ]; then
  say "issue 11: uvm placed per point; issue 15: torch peers cold and warm beside plain torch"
  paths=pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,$paths,device-resident,uvm --no-report
  [ -x "$b/prev/gatherbench" ] && timed uvm-prev "$b/prev/gatherbench" run pytorch-direct -o "$res/uvm-prev" --methods uvm --no-report
  timed torch-cold "$gb" run peers -o "$res/torch-cold" --methods torch-pageable,torch-pinned --no-report
  timed torch-warm "$gb" run peers -o "$res/torch-warm" --methods torch-pageable,torch-pinned --no-flush --no-report
  timed torch-baseline python3 "$(dirname "$0")/torch-baseline.py"
else
  say "issue 15: peers and plain PyTorch on the same machine; issue 12 item 16: small rows from GPU memory"
  timed torch-baseline-1 python3 "$(dirname "$0")/torch-baseline.py"
  timed peers "$gb" run peers -o "$res" --no-report
  timed torch-baseline-2 python3 "$(dirname "$0")/torch-baseline.py"
  timed device-small-rows "$gb" run device-small-rows -o "$res/device-small-rows" --no-report
  timed device-resident "$gb" run pytorch-direct -o "$res/device-resident" --methods device-resident --no-report
  if [ -x "$b/prev/gatherbench" ]; then
    timed device-small-rows-prev "$b/prev/gatherbench" run device-small-rows -o "$res/device-small-rows-prev" --no-report
    timed device-resident-prev "$b/prev/gatherbench" run pytorch-direct -o "$res/device-resident-prev" --methods device-resident --no-report
  fi
fi
archive
