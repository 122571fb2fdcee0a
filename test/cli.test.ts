import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../harness/paths.js';
import { scenarioFile, tmpDir } from './helpers.js';

const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('gatherbench CLI', () => {
  it('exits 2 with one line and no stack trace on a malformed scenario', () => {
    const r = cli('run', scenarioFile('name: x\naxes:\n  width: [16, 32, -4]\n'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^gatherbench: .*x\.yaml: axes\.width\[2\]: expected a positive integer, got -4\n$/);
    expect(r.err).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('exits 2 on impossible sizes, unknown scenarios, methods and commands', () => {
    const big = cli('run', scenarioFile('name: x\nmethods: [host-gather-copy]\naxes:\n  table: ["64TiB"]\n'));
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/needs 64 TiB of table .* more than the .* of host memory available/);
    expect(cli('run', 'no-such-scenario').err).toMatch(/no-such-scenario\.yaml: no such scenario file/);
    expect(cli('run', 'default', '--methods', 'teleport').code).toBe(2);
    expect(cli('frobnicate').code).toBe(2);
    for (const args of [['nosuch'], ['nosuch', '--help'], ['help', 'nosuch']]) {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.err.trim()).toBe("gatherbench: unknown command 'nosuch' (gatherbench --help lists them)");
    }
    // a command of subcommands without one, or with one it lacks (found by the in-process CLI fuzzer)
    expect(cli('baseline')).toMatchObject({ code: 2, err: 'gatherbench: baseline: name a subcommand: save, list\n' });
    expect(cli('history', 'nosuch')).toMatchObject({ code: 2, err: "gatherbench: history: unknown subcommand 'nosuch' (append, report)\n" });
    // help asked for is a success; no command named at all is not
    expect(cli('help', 'run').code).toBe(0);
    expect(cli().code).toBe(2);
    expect(cli('report', tmpDir()).code).toBe(2);
  });

  it('baseline and history commands answer bad input with exit 2 and one line', () => {
    const store = tmpDir();
    expect(cli('baseline', 'list', '--store', store).out).toMatch(/^no baselines in /);
    const h = cli('history', 'report', '--file', '/nonexistent/history.jsonl');
    expect(h.code).toBe(2);
    expect(h.err).toBe('gatherbench: /nonexistent/history.jsonl: no such history file\n');
    expect(cli('baseline', 'save', tmpDir(), '--store', store).code).toBe(2);
    expect(cli('model', 'small-rows').out).toMatch(/requests +bytes +useful\/wire +pages  case/);
  });

  it('prints help and version with exit 0, and documents exit codes', () => {
    const h = cli('--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/Exit codes:/);
    expect(cli('run', '--help').out).toMatch(/--resume <dir>/);
    expect(cli('--version').out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists scenarios, methods and axes, and says what this machine supports', () => {
    const l = cli('list');
    expect(l.code).toBe(0);
    expect(l.out).toMatch(/default/);
    expect(l.out).toMatch(/zerocopy-aligned/);
    expect(l.out).toMatch(/available here|unavailable here/);
    const i = cli('info');
    expect(i.code).toBe(0);
    expect(i.out).toMatch(/addon: +(CUDA build|CPU-only build)/);
    expect(i.out).toMatch(/yes host-gather-copy/);
    const j = JSON.parse(cli('info', '--json').out);
    expect(j.methods.find((m: { method: string }) => m.method === 'host-memcpy').available).toBe(true);
  });

  it('runs a scenario end to end and rebuilds its report', () => {
    const out = tmpDir();
    const file = scenarioFile('name: cli\nmethods: [host-gather-copy]\naxes: { width: [8], batch: [64], table: ["100 rows"] }\nsampling: { minSamples: 3, budget: 100ms }\n');
    const r = cli('run', file, '-o', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/results: .*results\.csv/);
    const dir = path.join(out, readdirSync(out)[0]);
    const rep = cli('report', dir);
    expect(rep.code).toBe(0);
    expect(rep.out).toContain(path.join(dir, 'report.html'));
  });
});

describe('the commit a run records', () => {
  it('comes from the checkout, else $GATHERBENCH_COMMIT, else the COMMIT file a bundle carries', async () => {
    const { gitCommit, COMMIT_FILE } = await import('../harness/env/environment.js');
    expect(gitCommit()).toMatch(/^[0-9a-f]{40}(\+dirty)?$/); // this checkout
    const bundle = tmpDir(); // outside any checkout, as a bundle on a GPU host
    const saved = process.env.GATHERBENCH_COMMIT;
    delete process.env.GATHERBENCH_COMMIT;
    try {
      expect(gitCommit(bundle)).toBe('unknown (not a git checkout)');
      writeFileSync(path.join(bundle, COMMIT_FILE), 'abc123+dirty\n');
      expect(gitCommit(bundle)).toBe('abc123+dirty');
      process.env.GATHERBENCH_COMMIT = 'override';
      expect(gitCommit(bundle)).toBe('override');
    } finally {
      if (saved === undefined) delete process.env.GATHERBENCH_COMMIT;
      else process.env.GATHERBENCH_COMMIT = saved;
    }
  });
});
