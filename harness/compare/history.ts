/**
 * The nightly history: one JSON line per point per run, appended after each
 * run. A step change is a run whose median left the runs before it (and the
 * run just before) by more than the threshold and by more than their
 * run-to-run prediction bar (the gate's rule, verdict.ts): within-run
 * confidence intervals of consecutive runs say nothing of how runs differ,
 * and marked every other night of a noisy host.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { RunResults } from '../results/model.js';
import { machineOf } from './machine.js';
import { median, quantileSorted } from '../stats/quantile.js';
import type { RunMedians } from './run-model.js';
import { predictionSigmas } from '../stats/prediction-bar.js';

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
  /** a night's A/B job (gatherbench ab --history): the point's paired ratio against the build before */
  ab?: { ratio: number; ciLow: number; ciHigh: number; verdict: string; baseline: string };
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
  return appendRecords(file, dir, historyRecords(dir, run));
}

/**
 * An A/B job's night: the candidate's last run (its level, as any run's) with each point's paired ratio against
 * the build before. Each night compares with the last green build, so a change that landed shows as one night
 * off 1, and as a step in the product of the nights' ratios (history report draws both).
 */
export function appendAbNight(file: string, jobDir: string, candidate: { dir: string; run: RunResults }, points: { id: string; verdict: string; timeRatio?: number; ratioCi?: [number, number] }[], baseline: string): number {
  const by = new Map(points.map((p) => [p.id, p]));
  const recs = historyRecords(candidate.dir, candidate.run).map((r) => {
    const p = by.get(r.id);
    return p?.timeRatio !== undefined && p.ratioCi ? { ...r, ab: { ratio: p.timeRatio, ciLow: p.ratioCi[0], ciHigh: p.ratioCi[1], verdict: p.verdict, baseline } } : r;
  });
  return appendRecords(file, jobDir, recs);
}

function appendRecords(file: string, dir: string, recs: HistoryRecord[]): number {
  if (existsSync(file) && readHistory(file).some((r) => r.run === recs[0]?.run && r.date === recs[0]?.date))
    throw new UserError(`${dir}: already in ${file} (appended once; a run is never counted twice)`);
  appendFileSync(file, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return recs.length;
}

/** The history's runs of this machine model (the candidate's own run left out), each as its points' median times. */
export function historyMedians(records: HistoryRecord[], model: string, excludeRun?: string): RunMedians[] {
  const runs = new Map<string, Map<string, number>>();
  for (const r of records) {
    if (r.model !== model || r.run === excludeRun || r.status !== 'ok' || r.medianS === undefined) continue;
    const key = `${r.run}|${r.date}`;
    if (!runs.has(key)) runs.set(key, new Map());
    runs.get(key)!.set(r.id, r.medianS);
  }
  return [...runs.values()];
}

/**
 * Relative spread of run medians, as one standard deviation: the larger of
 * two robust estimates, 1.4826 x the median absolute deviation and IQR / 1.349.
 * Either shrugs off one odd run; the IQR also sees a point that flips between
 * two states from run to run (the MAD, with most runs in one state, would not).
 * Two runs: their half-difference. One run: undefined, since one run says
 * nothing about how runs differ.
 */
export function runToRunSigma(medians: number[]): number | undefined {
  if (medians.length < 2) return undefined;
  const c = median(medians);
  if (medians.length === 2) return Math.abs(medians[0] - medians[1]) / 2 / c;
  const rel = medians.map((m) => m / c).sort((a, b) => a - b);
  const mad = 1.4826 * median(rel.map((r) => Math.abs(r - 1)));
  const iqr = (quantileSorted(rel, 0.75) - quantileSorted(rel, 0.25)) / 1.349;
  return Math.max(mad, iqr);
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
  /** median time now / the median of the runs before it */
  ratio: number;
  /** the change it needed: max(threshold, the prediction bar of the runs before it) */
  needed: number;
  /** how many runs before it set the bar */
  runs: number;
}

/** A run is judged against this many runs before it, at most (a level that moved long ago no longer counts). */
export const STEP_WINDOW = 10;
/** Fewer runs before a run than this say too little of the noise to call a step. */
export const STEP_MIN_RUNS = 3;

/** Step changes per point, over the runs of one machine (model) in date order. */
export function findSteps(records: HistoryRecord[], threshold: number): Step[] {
  const series = new Map<string, HistoryRecord[]>();
  for (const r of records) if (r.status === 'ok' && r.medianS !== undefined) series.set(`${r.model}|${r.id}`, [...(series.get(`${r.model}|${r.id}`) ?? []), r]);
  const steps: Step[] = [];
  for (const rs of series.values()) {
    rs.sort((a, b) => a.date.localeCompare(b.date));
    for (let i = STEP_MIN_RUNS; i < rs.length; i++) {
      const before = rs.slice(Math.max(0, i - STEP_WINDOW), i).map((r) => r.medianS!);
      const ratio = rs[i].medianS! / median(before);
      const needed = Math.max(threshold, predictionSigmas(before.length) * runToRunSigma(before)!);
      // where the level changes, not every night it stays changed: the run before must differ too
      const fromLast = rs[i].medianS! / rs[i - 1].medianS!;
      if (Math.abs(ratio - 1) > needed && Math.abs(fromLast - 1) > needed) steps.push({ id: rs[i].id, date: rs[i].date, run: rs[i].run, ratio, needed, runs: before.length });
    }
  }
  return steps;
}
