/** Every bad argument or path is refused before a sweep starts, in one line, with exit 2; interrupts say how to resume. */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../harness/paths.js';
import { scenarioFile, tmpDir } from './helpers.js';
import { parse } from 'csv-parse/sync';
import { loadRun } from '../harness/results/store.js';
import { toCsv } from '../harness/results/csv.js';

const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const oneLine = (r: { code: number | null; err: string }, pattern: RegExp) => {
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(pattern);
};

describe('bad input is refused before anything is measured', () => {
  it('paths: -o on a file, --history in a missing directory, model on an empty directory', () => {
    const file = path.join(tmpDir(), 'a-file');
    writeFileSync(file, '');
    oneLine(cli('run', 'default', '-o', file), /-o .*a-file: not a directory/);
    oneLine(cli('run', 'default', '--history', '/nonexistent/dir/h.jsonl'), /--history .*no directory \/nonexistent\/dir/);
    oneLine(cli('model', tmpDir()), /a directory without results\.json/);
  });

  it('arguments: selftest --device abc, --resume with --methods', () => {
    oneLine(cli('selftest', '--device', 'abc'), /--device: expected a CUDA device index.*got 'abc'/);
    oneLine(cli('run', '--resume', tmpDir(), '--methods', 'host-memcpy'), /--resume finishes a run with the settings it started with; --methods cannot be given/);
  });

  it('nothing this machine can measure is an error, not an empty run', () => {
    const out = tmpDir();
    const r = cli('run', scenarioFile('name: x\nmethods: [pinned-memcpy]\naxes: { width: [4], batch: [8], table: ["100 rows"] }\n'), '-o', out);
    if (r.code === 0) return; // a machine with a GPU measures it
    oneLine(r, /nothing to measure on this machine \(pinned-memcpy: /);
    expect(readdirSync(out)).toEqual([]);
  });

  it('scenario files: a self-referencing alias, a binary file (never echoed back whole), window: 0ms', () => {
    oneLine(cli('run', scenarioFile('name: x\naxes: &a [*a, *a]\n')), /an alias refers to the value that contains it/);
    const binary = path.join(tmpDir(), 'b.yaml');
    writeFileSync(binary, Buffer.concat([Buffer.from('\x7fELF\x02\x01'), Buffer.alloc(20000, 0x41)]));
    const b = cli('run', binary);
    expect(b.code).toBe(2);
    expect(b.err.length).toBeLessThan(300);
    const z = cli('model', scenarioFile('name: x\nmethods: [host-memcpy]\ntelemetry: { window: 0ms, idle: 0 }\naxes: { width: [4], batch: [8], table: ["100 rows"] }\n'));
    expect(z.code).toBe(0);
  });

  it('corrupted results files are refused by report, baseline save and history append', () => {
    const src = JSON.parse(readFileSync('docs/runs/h100-cuda-paths/results.json', 'utf8'));
    const variants: [string, (r: typeof src) => void, RegExp][] = [
      ['median', (r) => (r.points[0].stats.median = 'fast'), /points\[0\]\.stats\.median: .*got "fast"/],
      ['bandwidth', (r) => delete r.points[0].bandwidth, /points\[0\]\.bandwidth: an ok point needs its bandwidth/],
      ['samples', (r) => (r.points[0].samples.total = []), /points\[0\]\.samples\.total: an ok point needs its samples/],
      ['width', (r) => (r.points[0].axes.width = '-4'), /points\[0\]\.axes\.width: expected a positive integer, got "-4"/],
    ];
    for (const [name, corrupt, pattern] of variants) {
      const dir = tmpDir(`gb-bad-${name}-`);
      const run = structuredClone(src);
      corrupt(run);
      writeFileSync(path.join(dir, 'results.json'), JSON.stringify(run));
      oneLine(cli('report', dir), pattern);
      oneLine(cli('baseline', 'save', dir, '--store', tmpDir()), pattern);
      oneLine(cli('history', 'append', dir, '--file', path.join(tmpDir(), 'h.jsonl')), pattern);
    }
  });
});

describe('the regression gate and the history say the truth', () => {
  it('a comparison that matched no point fails (exit 2), naming the counts', () => {
    oneLine(cli('compare', 'docs/runs/h100-cuda-paths', 'docs/runs/h100-contention'), /nothing to compare: .*\(132 missing, 24 new\)/);
  });

  it('compare refuses an interrupted candidate (exit 1, one line) unless --allow-incomplete asks it to judge what the run has', () => {
    const base = 'docs/runs/h200-nightly-ab/slow-10';
    const run = JSON.parse(readFileSync(path.join(base, 'results.json'), 'utf8'));
    const cand = tmpDir();
    writeFileSync(path.join(cand, 'results.json'), JSON.stringify({ ...run, status: 'interrupted', points: run.points.slice(0, 5) }));
    const refused = cli('compare', base, cand);
    expect(refused.code).toBe(1);
    expect(refused.err.trim().split('\n')).toHaveLength(1);
    expect(refused.err).toMatch(new RegExp(`the candidate .* is interrupted \\(5 of ${run.plannedPoints} points\\): finish it with run --resume, or judge what it has with --allow-incomplete`));
    const taken = cli('compare', base, cand, '--allow-incomplete');
    expect(taken.code, taken.err).toBe(0);
    expect(taken.out).toMatch(/\d+ missing/);
  });

  it('a run is appended to a history once', () => {
    const file = path.join(tmpDir(), 'h.jsonl');
    expect(cli('history', 'append', 'docs/runs/h100-cuda-paths', '--file', file).code).toBe(0);
    oneLine(cli('history', 'append', 'docs/runs/h100-cuda-paths', '--file', file), /already in/);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(132);
  });

  it('results.csv keeps the GPU name apart from the device index', () => {
    const { run } = loadRun('docs/runs/h100-cuda-paths');
    const [header, ...rows] = parse(toCsv(run)) as string[][];
    expect(header.filter((h) => h === 'device')).toHaveLength(1);
    const gpuRow = rows.find((r) => r[header.indexOf('method')] === 'zerocopy-aligned')!;
    expect(gpuRow[header.indexOf('ran_on')]).toBe('NVIDIA H100 80GB HBM3');
    expect(gpuRow[header.indexOf('device')]).toBe('0');
  });
});

describe('interrupts', () => {
  const SLOW = 'name: slow\nmethods: [host-gather-copy]\naxes: { width: [64], batch: [4096], table: ["20000 rows"], threads: [1, 2] }\nsampling: { warmup: 1, minSamples: 5, maxSamples: 100000, budget: 2s, precision: 0.0001 }\ntelemetry: { window: 0, idle: 0 }\n';
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} saves what was measured, exits ${sig === 'SIGTERM' ? 143 : 130} and prints the resume command`, async () => {
      const out = tmpDir();
      const child = spawn(process.execPath, [bin, 'run', scenarioFile(SLOW), '-o', out], { env: { ...process.env, CI: 'true' } });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      await new Promise((r) => setTimeout(r, 2500));
      child.kill(sig);
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).toBe(sig === 'SIGTERM' ? 143 : 130);
      expect(stdout).toMatch(/finish with: gatherbench run --resume /);
      const dir = path.join(out, readdirSync(out)[0]);
      expect(JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')).status).toBe('interrupted');
    }, 20000);
  }
});
