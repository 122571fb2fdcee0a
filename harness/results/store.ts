/**
 * A run's directory: results/<UTC timestamp>-<scenario>/ with results.json and
 * results.csv rewritten after every point, each through a temp file and a
 * rename, so a crash or Ctrl-C never leaves a half-written file and every
 * finished point survives.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { RESULTS_SCHEMA, type RunResults } from './model.js';
import { toCsv } from './csv.js';
import { withdrawIdleFiguresOfPoint } from '../telemetry/busy-share.js';
import { validateRun } from './validate.js';

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** 2026-11-22T17:11:41.123Z -> 20261122T171141Z: sortable, and safe in a file name. */
export function utcStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function newRunDir(root: string, scenarioName: string, now = new Date()): string {
  const stamp = utcStamp(now);
  let dir = path.join(root, `${stamp}-${scenarioName}`);
  for (let i = 2; existsSync(dir); i++) dir = path.join(root, `${stamp}-${scenarioName}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function saveRun(dir: string, run: RunResults): void {
  writeAtomic(path.join(dir, 'results.json'), JSON.stringify(run, null, 1));
  writeAtomic(path.join(dir, 'results.csv'), toCsv(run));
}

/** Accepts a run directory or its results.json. */
export function loadRun(ref: string): { dir: string; run: RunResults } {
  const file = existsSync(ref) && statSync(ref).isDirectory() ? path.join(ref, 'results.json') : ref;
  if (!existsSync(file)) throw new UserError(`${ref}: no results.json there`);
  if (statSync(file).isDirectory()) throw new UserError(`${ref}: a directory without results.json`);
  let data: { schema?: unknown };
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (data?.schema !== RESULTS_SCHEMA) throw new UserError(`${file}: not a gatherbench results file (schema ${JSON.stringify(data?.schema)})`);
  const run = validateRun(data, file);
  // files from before the busy-share rule may carry idle windows' figures: the same rule applies on reading
  return { dir: path.dirname(file), run: { ...run, points: run.points.map(withdrawIdleFiguresOfPoint) } };
}
