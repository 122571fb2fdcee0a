/**
 * The nightly history: one JSON line per point per run, appended after each
 * run. A step change is a run whose median moved by more than the threshold
 * from the run before, with the two confidence intervals apart.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { RunResults } from '../results/model.js';
import { machineOf } from './machine.js';

export interface HistoryRecord {
  run: string;
  date: string;
  commit: string;
  model: string;
  driver: string;
  scenario: string;
  id: string;
  method: string;
  status: string;
  medianS?: number;
  ciLowS?: number;
  ciHighS?: number;
  GBps?: number;
}

export function historyRecords(dir: string, run: RunResults): HistoryRecord[] {
  const m = machineOf(run);
  return run.points.map((p) => ({
    run: path.basename(dir),
    date: run.startedAt,
    commit: run.environment.gitCommit,
    model: m.model,
    driver: m.driver,
    scenario: run.scenario.name,
    id: p.id,
    method: p.method,
    status: p.status,
    medianS: p.stats?.median,
    ciLowS: p.stats?.ciLow,
    ciHighS: p.stats?.ciHigh,
    GBps: p.bandwidth?.median,
  }));
}

/** Appends a complete run's points; a run already in the history (same run and start time) is refused. */
export function appendHistory(file: string, dir: string, run: RunResults): number {
  if (run.status !== 'complete') throw new UserError(`${dir}: run is ${run.status}; only complete runs go into the history`);
  const recs = historyRecords(dir, run);
  if (existsSync(file) && readHistory(file).some((r) => r.run === recs[0]?.run && r.date === run.startedAt))
    throw new UserError(`${dir}: already in ${file} (appended once; a run is never counted twice)`);
  appendFileSync(file, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return recs.length;
}

/** Per point id, its median time in the history's runs of this machine model (the candidate's own run left out). */
export function historyMedians(records: HistoryRecord[], model: string, excludeRun?: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) {
    if (r.model !== model || r.run === excludeRun || r.status !== 'ok' || r.medianS === undefined) continue;
    out.set(r.id, [...(out.get(r.id) ?? []), r.medianS]);
  }
  return out;
}

export function readHistory(file: string): HistoryRecord[] {
  if (!existsSync(file)) throw new UserError(`${file}: no such history file`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as HistoryRecord;
      } catch {
        throw new UserError(`${file}:${i + 1}: not a JSON line`);
      }
    });
}

export interface Step {
  id: string;
  date: string;
  run: string;
  /** median time now / median time in the previous run */
  ratio: number;
}

/** Step changes per point, over the runs of one machine (model) in date order. */
export function findSteps(records: HistoryRecord[], threshold: number): Step[] {
  const series = new Map<string, HistoryRecord[]>();
  for (const r of records) if (r.status === 'ok' && r.medianS !== undefined) series.set(`${r.model}|${r.id}`, [...(series.get(`${r.model}|${r.id}`) ?? []), r]);
  const steps: Step[] = [];
  for (const rs of series.values()) {
    rs.sort((a, b) => a.date.localeCompare(b.date));
    for (let i = 1; i < rs.length; i++) {
      const [a, b] = [rs[i - 1], rs[i]];
      const ratio = b.medianS! / a.medianS!;
      const apart = b.ciLowS! > a.ciHighS! || b.ciHighS! < a.ciLowS!;
      if (apart && Math.abs(ratio - 1) > threshold) steps.push({ id: b.id, date: b.date, run: b.run, ratio });
    }
  }
  return steps;
}
