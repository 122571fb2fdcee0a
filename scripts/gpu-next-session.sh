#!/usr/bin/env bash
# What the open issues still need from an H100, one device call per part (each under 10 minutes). After every
# step the runs so far and the logs are archived again, so a call stopped at its limit still brings back what it
# finished.
#   part 7:  #15: where torch-pageable's time goes (torch-pageable-anatomy.py) in three processes, the plain
#            script and the torch peers between them
#   part 10: #11: the build before (the bundle's prev/) twice and this one twice, interleaved, on the paper's
#            GPU paths; the eight paper methods; characterize
#   part 12: #15: the plain script and the torch peers in turn, three and two
#   part 13: #11: what uvm's reset costs and whether threads make it cheaper (uvm-reset-cost.cu); #15: whether
#            the page backing explains the plain script's spread from one process to the next: the script and
#            the peers with torch's transparent huge pages off and on, before and after every guest page has
#            been touched once (pretouch-memory.c)
#   part 14: #15: with huge pages on both sides, the script and the peers in turn, the script also at the
#            peers' pace (a pause before each call); whether the guest returns freed pages to the host
# The other parts (1-6, 8, 9, 11) measured builds of earlier stops; the closing notes name the commit of this
# script that ran each (git show <commit>:scripts/gpu-next-session.sh).
#   scripts/gpu-next-session.sh <bundle dir> <part>
# Make the bundle first: npm run bundle [&& scripts/bundle-old.sh <commit> "" prev] && scripts/pack-carry.sh;
# move docs/runs out of the tree, carry .gpu, unpack it there with tar -C /tmp/b -xJf .gpu/gb.txz. Runs and logs
# land in $OUT as two archives; file them here with scripts/unpack-device-runs.sh <the reply's files_at> <prefix>.
set -uo pipefail
b=${1:?bundle dir}; part=${2:?part: 7, 10, 12, 13 or 14}
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
timed() { local name=$1; shift; /usr/bin/time -f "$name: %e s" "$@" > "$logs/$name.txt" 2>&1; echo "$name: exit $?"; grep -E "^(timed |huge pages)" "$logs/$name.txt"; tail -n 1 "$logs/$name.txt"; archive; }
nvidia-smi --query-gpu=name,uuid,driver_version --format=csv,noheader > "$logs/gpu.txt"; cat "$logs/gpu.txt"; cat "$b/COMMIT"
if [ "$part" = 14 ]; then
  say "issue 15: huge pages on both sides; the script at its own pace and at the peers'"
  here=$(dirname "$0"); torch_peers_yaml
  { grep -H . /sys/module/page_reporting/parameters/* /sys/kernel/mm/transparent_hugepage/enabled; ls /sys/bus/virtio/drivers; } > "$logs/guest-memory.txt" 2>&1
  export C10_THP_MEM_ALLOC_ENABLE=1 THP_MEM_ALLOC_ENABLE=1
  timed script-thp-1 python3 "$here/torch-baseline.py"
  timed peers-thp-1 "$gb" run /tmp/torch-peers.yaml -o "$res/peers-thp" --no-report
  timed script-thp-pause-1 python3 "$here/torch-baseline.py" --pause-ms 20
  timed peers-thp-2 "$gb" run /tmp/torch-peers.yaml -o "$res/peers-thp" --no-report
  timed script-thp-2 python3 "$here/torch-baseline.py"
  timed script-thp-pause-2 python3 "$here/torch-baseline.py" --pause-ms 20
  unset C10_THP_MEM_ALLOC_ENABLE THP_MEM_ALLOC_ENABLE
  timed script-4k-pause python3 "$here/torch-baseline.py" --pause-ms 20
  cat "$logs/guest-memory.txt"
elif [ "$part" = 13 ]; then
  say "issue 11: uvm's reset; issue 15: the script and the peers with 4 KB and huge pages, before and after a pretouch"
  here=$(dirname "$0")
  nvcc -O2 -o /tmp/uvm-reset "$here/uvm-reset-cost.cu" && timed uvm-reset /tmp/uvm-reset 8
  gcc -O2 -pthread -o /tmp/pretouch "$here/pretouch-memory.c"
  torch_peers_yaml
  thp="env C10_THP_MEM_ALLOC_ENABLE=1 THP_MEM_ALLOC_ENABLE=1"
  timed script-4k-1 python3 "$here/torch-baseline.py"
  timed script-thp-1 $thp python3 "$here/torch-baseline.py"
  timed pretouch /tmp/pretouch 96
  timed script-4k-2 python3 "$here/torch-baseline.py"
  timed script-thp-2 $thp python3 "$here/torch-baseline.py"
  timed peers-4k "$gb" run /tmp/torch-peers.yaml -o "$res/peers-4k" --no-report
  timed script-4k-3 python3 "$here/torch-baseline.py"
  timed peers-thp $thp "$gb" run /tmp/torch-peers.yaml -o "$res/peers-thp" --no-report
  timed script-thp-3 $thp python3 "$here/torch-baseline.py"
elif [ "$part" = 12 ]; then
  say "issue 15: the plain script and the torch peers (30 samples a point) in turn"
  torch_alternation 3
elif [ "$part" = 10 ]; then
  say "issue 11: prev and this build interleaved on the paper's GPU paths; the eight paper methods; characterize"
  gpu=pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned,device-resident
  for i in 1 2; do
    timed prev-$i "$b/prev/gatherbench" run pytorch-direct -o "$res/prev" --methods $gpu --no-report
    timed new-$i "$gb" run pytorch-direct -o "$res/new" --methods $gpu --no-report
  done
  timed paper "$gb" run pytorch-direct -o "$res/paper" --methods host-gather-copy,host-memcpy,$gpu,uvm --no-report
  timed characterize "$gb" run characterize -o "$res" --no-report
elif [ "$part" = 7 ]; then
  say "issue 15: torch-pageable's anatomy in three processes, plain torch and the peers between"
  torch_peers_yaml
  timed anatomy-1 python3 "$(dirname "$0")/torch-pageable-anatomy.py"
  timed torch-baseline python3 "$(dirname "$0")/torch-baseline.py"
  timed anatomy-2 python3 "$(dirname "$0")/torch-pageable-anatomy.py"
  timed torch-peers "$gb" run /tmp/torch-peers.yaml -o "$res/torch-peers" --no-report
  timed anatomy-3 python3 "$(dirname "$0")/torch-pageable-anatomy.py"
else
  echo "unknown part $part: 7, 10, 12, 13 or 14" >&2; exit 2
fi
archive
