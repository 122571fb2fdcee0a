/**
 * Confirmation before failing: the points a comparison calls slower are
 * measured again in a fresh process (new host memory, new allocations, no
 * state shared with the candidate run), with the candidate's own scenario;
 * only a point slower again stays slower.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { loadRun } from '../results/store.js';
import type { RunResults } from '../results/model.js';
import type { Scenario } from '../scenario/schema.js';
import { AXES, axisLabel, type AxisName } from '../scenario/axes.js';

export interface Remeasured {
  run: RunResults;
  dir: string;
  seconds: number;
}

/** Axis values as a scenario file writes them: a resolved value its schema does not take back (a table size) as its label. */
function asInput(axes: Scenario['axes']): Record<string, unknown[]> {
  return Object.fromEntries(
    Object.entries(axes).map(([a, vs]) => [a, (vs as unknown[]).map((v) => (AXES[a as AxisName].schema.safeParse(v).success ? v : axisLabel(a as AxisName, v as never)))]),
  );
}

/** Runs the candidate's scenario again, limited to `ids`, in a child gatherbench process. */
export function remeasure(candidate: RunResults, ids: string[]): Remeasured {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gatherbench-confirm-'));
  const { file: _file, ...scenario } = candidate.scenario;
  // Times are what is confirmed: no telemetry windows, no idle window.
  const spec = { ...scenario, axes: asInput(scenario.axes), telemetry: { ...scenario.telemetry, window: 0, idle: 0 } };
  const scenarioFile = path.join(tmp, `${scenario.name}.yaml`);
  writeFileSync(scenarioFile, JSON.stringify(spec, null, 1)); // JSON is YAML
  const idsFile = path.join(tmp, 'points.txt');
  writeFileSync(idsFile, ids.join('\n') + '\n');
  const out = path.join(tmp, 'runs');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'gatherbench.js'), 'run', scenarioFile, '--only', idsFile, '-o', out, '--no-report'], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const seconds = (performance.now() - t0) / 1e3;
  if (r.status !== 0 && r.status !== 1) {
    const why = (r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-1)[0];
    throw new UserError(`--confirm: re-measuring in a fresh process failed (exit ${r.status}): ${why}`);
  }
  const dir = path.join(out, readdirSync(out)[0]);
  return { ...loadRun(dir), seconds };
}
