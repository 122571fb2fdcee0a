/**
 * `gatherbench ab <baseline> [candidate] [scenario]`: two builds measured interleaved on this machine, judged
 * by their paired rounds (harness/ab). Exit codes as compare's: 1 when a gated point is slower, 2 on bad input.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { checkOutputDir, checkOutputFile } from '../output-path.js';
import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { loadScenario } from '../scenario/load.js';
import { utcStamp } from '../results/store.js';
import { describeMachine, machineOf } from '../compare/machine.js';
import { countVerdicts, failsJob, type RunComparison } from '../compare/verdict.js';
import { toTable } from '../compare/print-table.js';
import { checkGateFiles, writeGateFiles } from '../compare/gate-files.js';
import { looksLikeSide, sideAt, thisGatherbench, type Side } from '../ab/side.js';
import { runAbJob } from '../ab/job.js';
import { noiseByMethod, noiseLines } from '../ab/noise.js';
import type { Grain, Order } from '../ab/schedule.js';
import { renderAbReport } from '../../reports/ab.js';
import { abReportOf, type AbRecord } from '../ab/record.js';
import { parseThreshold } from './compare.js';
import { parseSeconds } from '../units.js';
import { appendAbNight } from '../compare/history.js';

export interface AbCliOptions {
  threshold?: string;
  alpha?: string;
  rounds?: string;
  minRounds?: string;
  order?: string;
  seed?: string;
  budget?: string;
  sideTimeout?: string;
  grain?: string;
  gateCeilings?: boolean;
  all?: boolean;
  json?: string;
  markdown?: string;
  junit?: string;
  out?: string;
  /** a JSONL history: the night's candidate run and each point's paired ratio are appended */
  history?: string;
}

/** The job's false rate: 1 night in 50 (what docs/nightly-ci.md promises). */
export const AB_ALPHA = 0.02;
/** The alternation grain by default: chosen by measurement (docs/nightly-ci.md, "Choosing the grain"). */
export const AB_GRAIN: Grain = 'run';

/** Every numeric option has a bound: past it a value is a typo, not a plan (--rounds 99999999999 grew arrays until V8 died). */
export const MAX_ROUNDS = 100;
const MAX_SEED = 2 ** 31 - 1;
export const MAX_SIDE_SECONDS = 24 * 3600;
const MAX_BUDGET_SECONDS = 3600;

function whole(name: string, s: string | undefined, dflt: number, min: number, max: number): number {
  if (s === undefined) return dflt;
  const v = Number(s);
  if (!/^\s*\d+\s*$/.test(s) || !Number.isSafeInteger(v) || v < min || v > max) throw new UserError(`--${name}: expected a whole number from ${min} to ${max}, got '${s}'`);
  return v;
}

/** A duration option, bounded: seconds. */
function duration(name: string, s: string, max: number): number {
  let v: number;
  try {
    v = parseSeconds(s);
  } catch {
    throw new UserError(`--${name}: expected a duration like 500ms, 20s or 10m, got '${s}'`);
  }
  if (!(v > 0 && v <= max)) throw new UserError(`--${name}: expected a duration above 0 and at most ${max / 3600} h, got '${s}'`);
  return v;
}

/** baseline, then optionally a candidate (a path) and a scenario (a name or a path to .yaml/.yml). */
function parseRefs(refs: string[]): { a: Side; b: Side; scenario: string } {
  if (refs.length < 1 || refs.length > 3) throw new UserError('ab needs a baseline executable, then optionally a candidate executable and a scenario');
  const a = sideAt(refs[0], 'baseline');
  const rest = refs.slice(1);
  const isScenario = (r: string) => !looksLikeSide(r) || /\.ya?ml$/i.test(r);
  if (rest.length === 2) return { a, b: sideAt(rest[0], 'candidate'), scenario: rest[1] };
  if (rest.length === 1) return isScenario(rest[0]) ? { a, b: thisGatherbench(), scenario: rest[0] } : { a, b: sideAt(rest[0], 'candidate'), scenario: 'default' };
  return { a, b: thisGatherbench(), scenario: 'default' };
}

/** The job's folder, made (and so checked) before any round runs. */
function jobFolder(out: string | undefined): string {
  const dir = out ?? path.join('results', `ab-${utcStamp()}`);
  checkOutputDir('-o', dir);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function abCommand(refs: string[], o: AbCliOptions, log: (l: string) => void): Promise<number> {
  const { a, b, scenario } = parseRefs(refs);
  const loaded = loadScenario(scenario); // a bad scenario ends here, before any side runs
  const threshold = parseThreshold(o.threshold);
  const alpha = o.alpha === undefined ? AB_ALPHA : Number(o.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new UserError(`--alpha: expected the job's false rate, between 0 and 1, got '${o.alpha}'`);
  const maxRounds = whole('rounds', o.rounds, 10, 2, MAX_ROUNDS);
  const minRounds = whole('min-rounds', o.minRounds, Math.min(4, maxRounds), 2, MAX_ROUNDS);
  if (minRounds > maxRounds) throw new UserError(`--min-rounds ${minRounds} exceeds --rounds ${maxRounds}`);
  const order = (o.order ?? 'abba') as Order;
  if (order !== 'abba' && order !== 'random') throw new UserError(`--order: expected abba or random, got '${o.order}'`);
  const seed = whole('seed', o.seed, 1, 0, MAX_SEED);
  if (o.budget !== undefined && o.budget.trim() !== '0') duration('budget', o.budget, MAX_BUDGET_SECONDS);
  const sideTimeoutSeconds = o.sideTimeout === undefined ? undefined : duration('side-timeout', o.sideTimeout, MAX_SIDE_SECONDS);
  const grain = (o.grain ?? AB_GRAIN) as Grain;
  if (!['run', 'method', 'point'].includes(grain)) throw new UserError(`--grain: expected run, method or point, got '${o.grain}'`);
  checkGateFiles(o);
  if (o.history) checkOutputFile('--history', o.history);
  const out = jobFolder(o.out);
  log(`ab: '${loaded.scenario.name}' (${loaded.file}), baseline ${a.label}, candidate ${b.label}; ${minRounds}-${maxRounds} rounds, ${order.toUpperCase()} order, alternating by ${grain}; runs in ${out}`);
  const job = await runAbJob({ a, b }, { scenarioFile: path.resolve(loaded.file), out, minRounds, maxRounds, order, seed, grain, budget: o.budget, sideTimeoutSeconds, verdict: { threshold, alpha, gateCeilings: !!o.gateCeilings }, log });
  const first = job.runs[0];
  const noise = noiseByMethod(job.paired);
  const stop = `${job.stop.reason} after ${job.stop.after} round(s)`;
  const c: RunComparison = {
    baseline: { label: a.label, machine: describeMachine(machineOf(first.a)), runs: job.rounds.length },
    candidate: { label: b.label, machine: describeMachine(machineOf(first.b)) },
    options: { threshold, alpha, gateCeilings: !!o.gateCeilings },
    points: job.points,
    counts: countVerdicts(job.points),
    basis: `${job.rounds.length} paired rounds, ${stop}; threshold ${(threshold * 100).toFixed(0)}%, false rate ${alpha} a job over the gated points and ${job.stop.looks} looks`,
  };
  log(toTable(c, o.all));
  log('noise by method (SD of ln time ratio):');
  for (const l of noiseLines(noise)) log(l);
  const record: AbRecord = { ...c, scenario: loaded.scenario.name, rounds: job.rounds, stop: job.stop, noise, paired: job.paired };
  writeFileSync(path.join(out, 'summary.md'), writeGateFiles(c, o, record));
  writeFileSync(path.join(out, 'ab.json'), JSON.stringify(record, null, 1));
  writeFileSync(path.join(out, 'report.html'), renderAbReport(abReportOf(record)));
  log(`ab: ${path.join(out, 'ab.json')}, ${path.join(out, 'report.html')}`);
  if (o.history) {
    const last = job.rounds[job.rounds.length - 1];
    log(`history: ${appendAbNight(o.history, out, { dir: last.b.dir, run: job.runs[job.runs.length - 1].b }, job.points, a.label)} points and their paired ratios appended to ${o.history}`);
  }
  return failsJob(c.points) ? ExitCode.failures : ExitCode.ok;
}
