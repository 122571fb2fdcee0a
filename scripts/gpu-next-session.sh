#!/usr/bin/env bash
# What the open issues still need from an H100, in four device calls (each under 10 minutes). After every
# step the runs so far and the logs are archived again, so a call stopped at its limit still brings back
# what it finished. 2026-11-23 ran the timed-region checks, pytorch-direct, characterize, small rows,
# kv-cache, feature-cache, peers and 22 nightlies (docs/runs/h100-nov23-*); left:
#   part 1: #10's last stored run measured warm (small-rows, cold now), and #11's old-against-new check on
#           pytorch-direct's paper paths: the old build twice, this one warm (--no-flush) and cold; then here:
#           gatherbench compare <old runs> <new-warm run>
#   part 2: #13, eight nightlies on one machine (about 10 s each; each records steal), two slowed by 10%;
#           then here: gatherbench gate-study <clean runs> --plant 10% --slowed <slowed runs>
#   part 3: #14, feature-cache twice (one point of it failed verification once: 4 KB rows, 20% cached,
#           uniform) and a small cached-zerocopy sweep under compute-sanitizer memcheck
#   part 4: #15, peers and scripts/torch-baseline.py on the same machine (the torch numbers against plain PyTorch)
#   scripts/gpu-next-session.sh <bundle dir> <old bundle dir> <part>
# Make the bundle and the old build first: npm run bundle && scripts/bundle-old.sh 120ff0b; carry one tar of
# the bundle dir. Runs and logs land in $OUT as two archives (the lent machine returns at most 8 files); file
# them here with scripts/unpack-device-runs.sh <the reply's files_at> h100.
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
  say "issue 10: small-rows cold; issue 11: the old build (warm, as it was) against this one, warm and cold"
  timed small-rows "$gb" run small-rows -o "$res"
  # the new build first (seconds each), then the old one (minutes): a call cut at its limit keeps the most
  paths=pinned-memcpy,cpu-gather-memcpy,zerocopy-naive,zerocopy-aligned
  timed new-warm "$gb" run pytorch-direct -o "$res/new-warm" --methods $paths --no-flush
  timed new-cold "$gb" run pytorch-direct -o "$res/new-cold" --methods $paths
  timed old-1 "$old/gatherbench" run pytorch-direct -o "$res/old" --methods $paths
  timed old-2 "$old/gatherbench" run pytorch-direct -o "$res/old" --methods $paths
elif [ "$part" = 2 ]; then
  say "issue 13: eight nightly runs of unchanged code and two slowed by 10%, on one machine"
  timed gate bash "$(dirname "$0")/check-gate.sh" "$gb" "$res/gate" 8 2 1
elif [ "$part" = 3 ]; then
  say "issue 14: feature-cache twice, and cached-zerocopy under compute-sanitizer"
  timed feature-cache-1 "$gb" run feature-cache -o "$res"
  timed feature-cache-2 "$gb" run feature-cache -o "$res"
  # the failing shape, small enough for memcheck: 4 KB rows, 1% to 20% cached, uniform indices
  printf '%s\n' 'name: cache-memcheck' 'methods: [cached-zerocopy]' 'seed: 1' \
    'axes: { width: [1024], batch: [4096], table: ["256MiB"], cache: [0.01, 0.05, 0.2] }' \
    'sampling: { warmup: 1, minSamples: 5, maxSamples: 10, budget: 100ms }' 'telemetry: { window: 0, idle: 0 }' > /tmp/cache-memcheck.yaml
  timed memcheck compute-sanitizer --tool memcheck --target-processes all "$gb" run /tmp/cache-memcheck.yaml -o "$res/memcheck" --no-report
else
  say "issue 15: peers and plain PyTorch on the same machine"
  timed peers "$gb" run peers -o "$res"
  timed torch-baseline python3 "$(dirname "$0")/torch-baseline.py"
fi
archive
