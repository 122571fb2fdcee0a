#!/usr/bin/env bash
# Packs the bundle into .gpu/gb.txz, the one file a device call
# carries: Node unpacked inside and everything compressed once with xz -9e (Node's own xz -1 left the carry
# over the device tool's 64 MiB limit beside the tracked files), source maps and type declarations left out.
# GB_XZ_LEVEL=6 packs in a third of the time (32 s against 82 s on a 2-core VM) to the same 25 MiB.
# Checks the limit, counting every tracked file (they travel with each call).
# On the GPU host: tar -C /tmp/b -xJf .gpu/gb.txz
#   scripts/pack-carry.sh [bundle dir]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bundle=${1:-$here/.bundle/gatherbench-$(node -p "require('$here/package.json').version")-linux-x64}
[ -d "$bundle" ] || { echo "no bundle at $bundle: run npm run bundle first" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r "$bundle" "$work/"
b="$work/$(basename "$bundle")"
if [ -e "$b/node.xz" ]; then xz -dc "$b/node.xz" > "$b/node" && chmod +x "$b/node" && rm "$b/node.xz"; fi
mkdir -p "$here/.gpu"
tar -C "$work" --exclude='*.map' --exclude='*.d.ts' --exclude='*.md' -cf - "$(basename "$b")" | xz -T0 -${GB_XZ_LEVEL:-9e} > "$here/.gpu/gb.txz"
tracked=$(git -C "$here" ls-files -z | (cd "$here" && xargs -0 du -cb) | tail -1 | cut -f1)
carry=$(du -cb "$here"/.gpu/* | tail -1 | cut -f1)
echo ".gpu/gb.txz: $((carry / 1048576)) MiB carried beside $((tracked / 1048576)) MiB of tracked files (limit 64 MiB)"
[ $((tracked + carry)) -lt $((64 * 1048576)) ] || { echo "over the device tool's 64 MiB: carry less" >&2; exit 1; }
