#!/usr/bin/env node
// Packs a self-contained gatherbench for a GPU host with no Node.js and no
// network: the Node runtime (xz-compressed), the compiled JS, the built addon
// and the runtime dependencies, with a one-line start script.
//   npm run bundle [-- <out dir>]   ->  <out>/gatherbench-<version>-linux-<arch>/ and .tar
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
// Needed to build the addon, not to run it.
const BUILD_ONLY = new Set(['cmake-js', 'node-addon-api', 'node-api-headers']);

function fail(msg) {
  process.stderr.write(`bundle: ${msg}\n`);
  process.exit(2);
}

for (const f of ['build/Release/gatherbench.node', 'dist/harness/cli.js'])
  if (!existsSync(path.join(root, f))) fail(`${f} is missing: run npm install && npm run build first`);

const outRoot = path.resolve(process.argv[2] ?? path.join(root, '.bundle'));
const name = `gatherbench-${pkg.version}-${process.platform}-${process.arch}`;
const dir = path.join(outRoot, name);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

// Runtime never loads source maps or TypeScript sources.
const skip = (src) => !/\.(map|ts|mts|cts)$/.test(src);
for (const f of ['package.json', 'bin', 'dist', 'scenarios'])
  cpSync(path.join(root, f), path.join(dir, f), { recursive: true, filter: skip });
cpSync(path.join(root, 'build/Release/gatherbench.node'), path.join(dir, 'build/Release/gatherbench.node'));
// The peer methods' Python worker runs from the package, not from dist/.
cpSync(path.join(root, 'harness/peers/torch_worker.py'), path.join(dir, 'harness/peers/torch_worker.py'));

// The runtime dependency closure, resolved the way Node would from the root.
function packageDirOf(name, from) {
  for (let d = from; ; d = path.dirname(d)) {
    const cand = path.join(d, 'node_modules', name);
    if (existsSync(path.join(cand, 'package.json'))) return cand;
    if (d === root || d === path.dirname(d)) return undefined;
  }
}
const copied = new Set();
function copyDeps(names, from) {
  for (const n of names) {
    const src = packageDirOf(n, from);
    if (!src) fail(`dependency ${n} is not installed`);
    if (copied.has(src)) continue;
    copied.add(src);
    cpSync(src, path.join(dir, path.relative(root, src)), { recursive: true, filter: (s) => skip(s) && !s.includes(`${path.sep}node_modules${path.sep}.bin`) });
    const p = JSON.parse(readFileSync(path.join(src, 'package.json'), 'utf8'));
    copyDeps(Object.keys(p.dependencies ?? {}), src);
  }
}
copyDeps(Object.keys(pkg.dependencies).filter((d) => !BUILD_ONLY.has(d)), root);

execFileSync('sh', ['-c', `xz -1 -T0 -c "${process.execPath}" > "${path.join(dir, 'node.xz')}"`]);
// The commit the bundle was built from (results on the GPU host record it: there is no checkout there).
const { gitCommit, COMMIT_FILE } = await import(path.join(root, 'dist/harness/env/environment.js'));
writeFileSync(path.join(dir, COMMIT_FILE), `${gitCommit(root)}\n`);
writeFileSync(
  path.join(dir, 'gatherbench'),
  `#!/bin/sh
# Runs gatherbench with the bundled Node.js (unpacked next to this script on first use).
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/node" ] || { xz -dc "$here/node.xz" > "$here/node.tmp" && chmod +x "$here/node.tmp" && mv "$here/node.tmp" "$here/node"; } || exit 2
exec "$here/node" "$here/bin/gatherbench.js" "$@"
`,
);
chmodSync(path.join(dir, 'gatherbench'), 0o755);
execFileSync('tar', ['-C', outRoot, '-cf', `${dir}.tar`, name]);
const size = Number(execFileSync('du', ['-sm', dir]).toString().split('\t')[0]);
process.stdout.write(`bundle: ${dir} (${size} MiB) and ${dir}.tar\n  on the GPU host: tar xf ${name}.tar && ${name}/gatherbench info\n`);
