#!/usr/bin/env bash
# Adds an older build of gatherbench to a bundle, for measuring it beside the current one on a GPU host
# (scripts/check-timed-region.sh takes it as its second argument; gpu-next-session.sh part 10 runs the folder
# prev/). The old build
# shares the bundle's Node.js and node_modules; its scenarios are its own (old schemas refuse new keys).
#   scripts/bundle-old.sh <commit> [bundle dir] [folder, default old]   e.g. scripts/bundle-old.sh 120ff0b
set -euo pipefail
commit=${1:?commit}; here=$(cd "$(dirname "$0")/.." && pwd)
bundle=${2:-$here/.bundle/gatherbench-$(node -p "require('$here/package.json').version")-linux-x64}; name=${3:-old}
[ -d "$bundle" ] || { echo "no bundle at $bundle: run npm run bundle first" >&2; exit 2; }
work=$(mktemp -d)
git -C "$here" worktree add -f "$work/src" "$commit" >/dev/null
ln -s "$here/node_modules" "$work/src/node_modules"
(cd "$work/src" && npx cmake-js compile --directory native --out build --log-level error >/dev/null && npx tsc -p tsconfig.json)
rm -rf "$bundle/$name" && mkdir -p "$bundle/$name/build/Release"
cp -r "$work/src/dist" "$work/src/bin" "$work/src/package.json" "$work/src/scenarios" "$bundle/$name/"
cp "$work/src/build/Release/gatherbench.node" "$bundle/$name/build/Release/"
# scenarios added since that commit, without the keys its schema does not know
for f in "$here"/scenarios/*.yaml; do
  [ -e "$bundle/$name/scenarios/$(basename "$f")" ] || grep -vE '^\s*(minTime|flush):' "$f" > "$bundle/$name/scenarios/$(basename "$f")"
done
printf '#!/bin/sh\nhere=$(cd "$(dirname "$0")" && pwd)\nexec "$here/../node" "$here/bin/gatherbench.js" "$@"\n' > "$bundle/$name/gatherbench"
chmod +x "$bundle/$name/gatherbench"
git -C "$here" worktree remove --force "$work/src"
echo "old build $commit in $bundle/$name"
