/** The vega, vega-lite and vega-embed builds, read from node_modules to inline into reports (no CDN). */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (!existsSync(path.join(dir, 'package.json')) || JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== name) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${name} package`);
    dir = up;
  }
  return dir;
}

let cached: string[] | undefined;

/** Script sources in load order: vega, vega-lite, vega-embed. */
export function vegaScripts(): string[] {
  cached ??= [
    ['vega', 'build/vega.min.js'],
    ['vega-lite', 'build/vega-lite.min.js'],
    ['vega-embed', 'build/vega-embed.min.js'],
  ].map(([pkg, file]) => readFileSync(path.join(packageDir(pkg), file), 'utf8'));
  return cached;
}
