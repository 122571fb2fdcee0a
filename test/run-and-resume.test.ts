import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCommand } from '../harness/cli/run.js';
import { loadRun, saveRun } from '../harness/results/store.js';
import { PlainProgress } from '../harness/runner/progress.js';
import type { Case } from '../harness/scenario/expand.js';
import type { PointResult } from '../harness/results/model.js';
import { scenarioFile, tmpDir } from './helpers.js';

const SCENARIO = `
name: tiny
description: a few host points
methods: [host-gather-copy, host-memcpy]
axes:
  width: [3, 100]
  batch: [7, 1000]
  table: ["2000 rows"]
sampling: { warmup: 1, minSamples: 5, maxSamples: 20, budget: 200ms, precision: 0.05 }
`;

const quiet = () => undefined;

describe('run, interruption and resume', () => {
  it('writes results.csv, results.json and report.html for a complete run', async () => {
    const out = tmpDir();
    const code = await runCommand(scenarioFile(SCENARIO), { out, log: quiet, progress: new PlainProgress(quiet) });
    expect(code).toBe(0);
    const [dirName] = readdirSync(out);
    expect(dirName).toMatch(/^\d{8}T\d{6}Z-tiny$/);
    const dir = path.join(out, dirName);
    for (const f of ['results.csv', 'results.json', 'report.html']) expect(existsSync(path.join(dir, f))).toBe(true);
    const { run } = loadRun(dir);
    expect(run.status).toBe('complete');
    expect(run.points).toHaveLength(8);
    expect(run.hostOnly || run.backend.startsWith('cuda')).toBe(true);
    for (const p of run.points) {
      expect(p.status).toBe('ok');
      expect(p.samples.total.length).toBe(p.stats!.n);
      expect(p.stats!.n).toBeGreaterThanOrEqual(3);
      expect(p.bandwidth!.median).toBeCloseTo(p.derived.usefulBytes / 1e9 / p.stats!.median, 9);
      expect(p.verification!.rowsVerified).toBeGreaterThan(0);
    }
    const rows = parse(readFileSync(path.join(dir, 'results.csv')), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatchObject({ method: expect.any(String), status: 'ok', width: expect.any(String), batch: expect.any(String) });
    expect(Number(rows[0].bandwidth_GBps)).toBeGreaterThan(0);
    if (run.hostOnly) expect(rows[0].backend).toBe('host-only (no CUDA device)');
  });

  it('journals each finished point at once, so a killed run keeps it, and folds the journal in when it saves', async () => {
    const out = tmpDir();
    expect(await runCommand(scenarioFile(SCENARIO), { out, log: quiet, progress: new PlainProgress(quiet) })).toBe(0);
    const dir = path.join(out, readdirSync(out)[0]);
    expect(existsSync(path.join(dir, 'points.jsonl'))).toBe(false); // folded into results.json at the end
    // a run killed after five points: results.json from before the sweep, five journal lines, a torn sixth
    const { run } = loadRun(dir);
    const journal = run.points.slice(0, 5).map((p) => JSON.stringify(p)).join('\n') + '\n' + JSON.stringify(run.points[5]).slice(0, 40);
    saveRun(dir, { ...run, status: 'running', points: [] });
    writeFileSync(path.join(dir, 'points.jsonl'), journal);
    const killed = loadRun(dir).run;
    expect(killed.points.map((p) => p.id)).toEqual(run.points.slice(0, 5).map((p) => p.id));
    // a point both saved and journaled (killed between the two) counts once
    saveRun(dir, { ...killed, points: killed.points.slice(0, 2) });
    writeFileSync(path.join(dir, 'points.jsonl'), journal);
    expect(loadRun(dir).run.points).toHaveLength(5);
    saveRun(dir, loadRun(dir).run);
    expect(existsSync(path.join(dir, 'points.jsonl'))).toBe(false);
    expect(loadRun(dir).run.points).toHaveLength(5);
  });

  it('keeps every finished point after an interruption and finishes the rest on --resume', async () => {
    const out = tmpDir();
    const controller = new AbortController();
    const seen: string[] = [];
    const progress = {
      start: () => undefined,
      stop: () => undefined,
      caseDone: (c: Case, _p: PointResult) => {
        seen.push(c.id);
        if (seen.length === 3) controller.abort(); // "Ctrl-C" after the third point
      },
    };
    const code = await runCommand(scenarioFile(SCENARIO), { out, log: quiet, progress, signal: controller.signal });
    expect(code).toBe(130);
    const dir = path.join(out, readdirSync(out)[0]);
    const partial = loadRun(dir).run;
    expect(partial.status).toBe('interrupted');
    expect(partial.points.map((p) => p.id)).toEqual(seen);
    expect(existsSync(path.join(dir, 'report.html'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const resumed = await runCommand(undefined, { resume: dir, log: quiet, progress: new PlainProgress(quiet) });
    expect(resumed).toBe(0);
    const full = loadRun(dir).run;
    expect(full.status).toBe('complete');
    expect(full.points).toHaveLength(8);
    expect(new Set(full.points.map((p) => p.id)).size).toBe(8);
    expect(full.points.slice(0, 3)).toEqual(partial.points); // the first three untouched
  });

  it('skips, with the reason, a point this machine cannot run', async () => {
    const out = tmpDir();
    const file = scenarioFile(SCENARIO.replace('batch: [7, 1000]', 'batch: [7, 5000]'));
    expect(await runCommand(file, { out, log: quiet, progress: new PlainProgress(quiet) })).toBe(0);
    const { run } = loadRun(path.join(out, readdirSync(out)[0]));
    const skipped = run.points.filter((p) => p.status === 'skipped');
    expect(skipped.map((p) => p.method)).toEqual(['host-memcpy', 'host-memcpy']);
    expect(skipped[0].reason).toBe('a contiguous copy of 5000 rows does not fit in a table of 2000 rows');
  });
});
