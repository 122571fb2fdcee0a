/** The CPU path as a distribution (#35): its points measured in draws, their statistics, and the anatomy probe. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { drawnSummary, drawSpread } from '../harness/stats/draws.js';
import { tQuantile } from '../harness/stats/student-t.js';
import { drawsFor, visitShare } from '../harness/runner/measure.js';
import { drawBatches, isDrawn } from '../harness/runner/draws.js';
import { runCommand } from '../harness/cli/run.js';
import { PlainProgress } from '../harness/runner/progress.js';
import { loadRun } from '../harness/results/store.js';
import { nativeFacts } from '../harness/native/facts.js';
import { expand } from '../harness/scenario/expand.js';
import { cpuDrawsBasis } from '../reports/cpu-draws.js';
import { packageRoot } from '../harness/paths.js';
import { scenario, scenarioFile, tmpDir } from './helpers.js';
import { point } from './fixtures.js';
import { readdirSync } from 'node:fs';

const quiet = () => {};

describe('a point measured in draws', () => {
  it("is the draws' geometric mean, its interval Student's t over their logs", () => {
    const medians = [1e-3, 1.1e-3, 0.9e-3, 1.05e-3];
    const s = drawnSummary(medians, [1, 2, 3].map((x) => x * 1e-3));
    const logs = medians.map(Math.log);
    const mean = logs.reduce((a, b) => a + b) / 4;
    expect(s.median).toBeCloseTo(Math.exp(mean), 12);
    const half = (tQuantile(0.975, 3) * drawSpread(medians)) / 2;
    expect(s.ciLow).toBeCloseTo(Math.exp(mean - half), 12);
    expect(s.ciHigh).toBeCloseTo(Math.exp(mean + half), 12);
    expect(s.n).toBe(3); // the samples' own description is kept
    expect(s.max).toBe(3e-3);
    expect(drawnSummary([1e-3], [1e-3]).relCi).toBeNull(); // one draw has no interval
  });

  it("splits the point's budget and samples over its visits, never below three samples a visit", () => {
    const s = scenario({ sampling: { budget: '1200ms', minSamples: 20, maxSamples: 200, draws: 12 } }).sampling;
    expect(visitShare(s, 12)).toEqual({ budgetSeconds: expect.closeTo(0.1, 12), maxSamples: 16, minSamples: 3 });
    expect(visitShare({ ...s, maxSamples: 20 }, 12).maxSamples).toBe(3);
    expect(visitShare({ ...s, minSamples: 60 }, 12).minSamples).toBe(5);
    // a visit under 50 ms is mostly its new threads waking: a short budget gets fewer draws
    expect(drawsFor(s)).toBe(12);
    expect(drawsFor({ ...s, budget: 0.1 })).toBe(2);
    expect(drawsFor({ ...s, budget: 0 })).toBe(1);
    expect(() => scenario({ sampling: { draws: 0 } })).toThrow(/draws/);
    expect(() => scenario({ sampling: { draws: 65 } })).toThrow(/draws/);
  });

  it('draws only where the CPU reads the table, without contention of its own, in batches that fit', () => {
    const facts = nativeFacts();
    const cases = expand(scenario({ methods: ['host-gather-copy', 'host-memcpy'], axes: { width: [16, 1024], contention: [0, 2] } }));
    const drawn = cases.filter((c) => isDrawn(c, 12, facts));
    expect(drawn.map((c) => c.values.contention)).toEqual([0, 0, 0, 0]);
    expect(cases.filter((c) => isDrawn(c, 1, facts))).toEqual([]);
    const gpu = expand(scenario({ methods: ['zerocopy-aligned', 'cpu-gather-memcpy', 'pinned-memcpy'] }));
    expect(gpu.filter((c) => isDrawn(c, 12, facts)).map((c) => c.method)).toEqual(['cpu-gather-memcpy']);
    const many = expand(scenario({ methods: ['host-gather-copy'], axes: { width: Array.from({ length: 20 }, (_, i) => 8 + i), batch: [1024] } }));
    expect(drawBatches(many).map((b) => b.length)).toEqual([16, 4]);
  });

  it('end to end: every host point carries its draws, each visited in turns with new threads, its figure their mean', async () => {
    const out = tmpDir();
    const file = scenarioFile('name: d\nmethods: [host-gather-copy, host-memcpy]\naxes: { width: [16, 256], batch: [1024], table: ["8MiB"] }\nsampling: { minSamples: 12, maxSamples: 60, budget: 400ms, draws: 4 }\ntelemetry: { window: 0, idle: 0 }\n');
    const lines: string[] = [];
    expect(await runCommand(file, { out, log: quiet, progress: new PlainProgress((l) => lines.push(l)) })).toBe(0);
    const { run } = loadRun(path.join(out, readdirSync(out)[0]));
    expect(run.points).toHaveLength(4);
    for (const p of run.points) {
      expect(p.draws!.medians).toHaveLength(4);
      expect(p.stop!.reason).toBe('draws');
      expect(p.stats!.n).toBeGreaterThanOrEqual(12);
      expect(p.stats!.median).toBeCloseTo(Math.exp(p.draws!.medians.reduce((a, m) => a + Math.log(m), 0) / 4), 12);
      expect(p.verification!.checkedSamples).toBe(p.samples.total.length);
    }
    expect(lines[0]).toMatch(/GB\/s ±[\d.]+% over 4 draws \(spread [\d.]+% between them, \d+ samples\)$/);
    expect(cpuDrawsBasis(run.points)).toMatch(/^the CPU path: 4 draws a point, spread [\d.]+(-[\d.]+)?% between draws \(SD of ln\)/);
    expect(cpuDrawsBasis([point('host-gather-copy x', [1e-3, 1e-3, 1e-3])])).toMatch(/one draw a point/);
  }, 30000);
});

describe('gatherbench anatomy', () => {
  const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
  const anatomy = (...args: string[]) => spawnSync(process.execPath, [bin, 'anatomy', ...args], { encoding: 'utf8', cwd: tmpDir() });

  it('sets each suspect redrawn in one process against fresh processes, and writes every draw', () => {
    const r = anatomy('--rows', '256', '--threads', '1', '--batch', '512', '--table', '4MiB', '--factors', 'none,table-remap,threads', '--draws', '2', '--samples', '3', '--processes', '2', '--json', '-');
    expect(r.status, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.rows.map((x: { suspect: string }) => x.suspect)).toEqual(['processes', 'none', 'table-remap', 'threads']);
    for (const row of a.rows) {
      expect(row.seconds).toHaveLength(2);
      for (const d of row.seconds) expect(d).toHaveLength(3);
      expect(row.spread.medianS).toBeGreaterThan(0);
    }
  }, 60000);

  it('refuses unknown suspects and sizes out of range: exit 2, one line', () => {
    for (const [args, msg] of [
      [['--factors', 'moon'], /--factors: unknown suspect 'moon'/],
      [['--rows', '12'], /--rows: row bytes must be a multiple of 8/],
      [['--table', '9TiB'], /--table: expected a size from 4KiB to 1TiB/],
      [['--draws', '0'], /--draws: expected whole numbers from 1 to 1000/],
    ] as const) {
      const r = anatomy(...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
