/**
 * A run's directory: results/<UTC timestamp>-<scenario>/ with results.json and
 * results.csv, each written through a temp file and a rename, so a crash or
 * Ctrl-C never leaves a half-written file. While a run goes on, each finished
 * point is appended to points.jsonl (rewriting results.json after every point
 * cost 1.4 s of a 180-point run, growing with the square of the points);
 * reading a run folds the journal in, so a killed run loses no finished point,
 * and saving folds it into results.json and removes it.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { RESULTS_SCHEMA, type PointResult, type RunResults } from './model.js';
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

const JOURNAL = 'points.jsonl';

/** A finished point, on disk at once: one line appended to the run's journal. */
export function journalPoint(dir: string, p: PointResult): void {
  appendFileSync(path.join(dir, JOURNAL), JSON.stringify(p) + '\n');
}

/** The journal's points (a line torn by a kill is skipped), or none. */
function journaled(dir: string): PointResult[] {
  const file = path.join(dir, JOURNAL);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').flatMap((l) => {
    try {
      return l.trim() ? [JSON.parse(l) as PointResult] : [];
    } catch {
      return [];
    }
  });
}

export function saveRun(dir: string, run: RunResults): void {
  writeAtomic(path.join(dir, 'results.json'), JSON.stringify(run, null, 1));
  writeAtomic(path.join(dir, 'results.csv'), toCsv(run));
  rmSync(path.join(dir, JOURNAL), { force: true }); // its points are in results.json now
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
    throw new UserError(`${file}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ').slice(0, 160)})`);
  }
  if (data?.schema !== RESULTS_SCHEMA) throw new UserError(`${file}: not a gatherbench results file (schema ${JSON.stringify(data?.schema)})`);
  // points a killed run had journaled but not yet saved (validated with the rest)
  const d = data as { points?: unknown };
  if (Array.isArray(d.points) || d.points === undefined) {
    const points = (d.points ?? []) as ({ id?: unknown } | null)[];
    const saved = new Set(points.map((p) => p?.id));
    const extra = journaled(path.dirname(file)).filter((p) => !saved.has(p.id));
    if (extra.length) d.points = [...points, ...extra];
  }
  const run = validateRun(data, file);
  // files from before the busy-share rule may carry idle windows' figures: the same rule applies on reading
  return { dir: path.dirname(file), run: { ...run, points: run.points.map(withdrawIdleFiguresOfPoint) } };
}
