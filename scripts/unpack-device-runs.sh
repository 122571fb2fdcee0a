#!/usr/bin/env bash
# Files the runs and logs a device call brought back (scripts/gpu-next-session.sh's runs-partN.tgz and
# logs-partN.tgz) into docs/runs: each run directory <UTC time>-<scenario> under <prefix>-<scenario>[-<where>],
# where <where> is the folder the run was made in (old, new-warm...), the gate's runs under <prefix>-gate/clean-N
# and slow-N, and the logs under <prefix>-logs-partN. Archives nested in the logs (check-timed-region.sh's own
# runs.tgz and logs.tgz) are opened the same way. Prints what it filed; reports are rebuilt with gatherbench report.
#   scripts/unpack-device-runs.sh <folder with the archives> <prefix, e.g. h100>
set -euo pipefail
from=${1:?folder with runs-partN.tgz / logs-partN.tgz}; prefix=${2:?prefix, e.g. h100}
here=$(cd "$(dirname "$0")/.." && pwd); runs="$here/docs/runs"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# file_runs <archive> <scratch dir>: every results.json in the archive, with its results.csv, into docs/runs
file_runs() {
  local a=$1 t=$2; mkdir -p "$t"; tar -C "$t" -xzf "$a"
  find "$t" -name results.json | while read -r f; do
    d=$(dirname "$f"); rel=${d#"$t/"}; scen=$(basename "$d" | sed 's/^[0-9TZ]*-//')
    where=$(dirname "$rel" | tr '/' '-'); [ "$where" = . ] && where=
    dest="$runs/$prefix-$scen${where:+-$where}"
    case $rel in gate/*) dest="$runs/$prefix-gate/$(basename "$(dirname "$rel")")" ;; esac  # the gate's runs together
    [ -e "$dest" ] && dest="$dest-$(basename "$d" | cut -d- -f1)"
    mkdir -p "$dest" && cp "$d/results.json" "$dest/" && { [ ! -e "$d/results.csv" ] || cp "$d/results.csv" "$dest/"; }
    echo "$dest"
  done
}
for a in "$from"/runs-part*.tgz; do
  [ -e "$a" ] || continue
  file_runs "$a" "$tmp/$(basename "$a" .tgz)"
done
for a in "$from"/logs-part*.tgz; do
  [ -e "$a" ] || continue
  dest="$runs/$prefix-logs-$(basename "$a" .tgz | sed 's/^logs-//')"; mkdir -p "$dest"; tar -C "$dest" -xzf "$a"
  find "$dest" -name runs.tgz | while read -r n; do file_runs "$n" "$tmp/nested-$(basename "$(dirname "$n")")"; done
  find "$dest" -name logs.tgz | while read -r n; do tar -C "$(dirname "$n")" -xzf "$n"; done
  find "$dest" -name '*.tgz' -delete
  echo "$dest"
done
