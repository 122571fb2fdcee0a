#!/usr/bin/env node
// The compiled CLI lives in dist/ (npm install builds it); say so in one line if it is missing.
let main;
try {
  ({ main } = await import('../dist/harness/cli.js'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist')) throw e;
  process.stderr.write('gatherbench: not built (dist/ is missing): run npm install, or npm run build\n');
  process.exit(2);
}
process.exitCode = await main(process.argv);
