/**
 * An interleaved A/B job: the same scenario file run by two builds on one machine, round after round, the
 * order alternating; after every look round the paired verdicts are taken, and the job stops once every gated
 * point has an answer (or at the round cap). Every run stays on disk under the job's folder.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { spawnSide, type SideExit } from './spawn-side.js';
import { loadRun } from '../results/store.js';
import type { RunResults } from '../results/model.js';
import type { PointComparison } from '../compare/verdict.js';
import type { Side } from './side.js';
import { chunkOrder, chunksOf, lookRounds, roundOrder, type Grain, type Order, type SideName } from './schedule.js';
import { canStop, isGated, pairedVerdicts, type PairedOptions, type PairedPoint, type Round } from './paired.js';

export interface AbJobOptions {
  scenarioFile: string;
  out: string;
  minRounds: number;
  maxRounds: number;
  order: Order;
  seed: number;
  /** passed to both sides' run as --budget */
  budget?: string;
  /** how finely the sides alternate inside a round (schedule.ts) */
  grain: Grain;
  verdict: Omit<PairedOptions, 'looks'>;
  /** --side-timeout: how long one side's run may take (default: SideLimit's rule) */
  sideTimeoutSeconds?: number;
  log: (line: string) => void;
}

export interface RoundRecord {
  round: number;
  order: [SideName, SideName];
  a: { dir: string; seconds: number };
  b: { dir: string; seconds: number };
}

export interface AbJob {
  rounds: RoundRecord[];
  runs: Round[];
  /** the last look's pairs and verdicts */
  paired: PairedPoint[];
  points: PointComparison[];
  stop: { after: number; reason: 'every gated point resolved' | 'the rest cannot be resolved by the round cap' | 'round cap'; looks: number; hopeless: string[] };
}

interface SideRun {
  dir: string;
  run: RunResults;
  seconds: number;
}

type Role = 'baseline' | 'candidate';

/** A side that failed to give a whole run ends the job: exit 1 for the candidate, 2 for the baseline (no judgement). */
function sideFailed(side: Side, role: Role, k: number, why: string, log: string): UserError {
  return new UserError(`ab: the ${role} (${side.label}) failed in round ${k}: ${why} (log: ${log})`, role === 'candidate' ? ExitCode.failures : ExitCode.badInput);
}

/** The last line a side printed, for the one-line failure. */
function lastLine(log: string): string {
  try {
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    return (lines[lines.length - 1] ?? '').slice(0, 200);
  } catch {
    return '';
  }
}

/** Why a finished side's exit or run cannot be judged, or undefined. */
function exitProblem(x: SideExit, limit: number, log: string): string | undefined {
  if (x.error) return `it could not be started (${x.error})`;
  if (x.killedFor === 'timeout') return `it ran past its time limit of ${limit.toFixed(0)} s (--side-timeout) and its process group was killed`;
  if (x.signal) return `it was killed by ${x.signal}`;
  if (x.status !== 0) return `it exited ${x.status}${lastLine(log) ? `: ${lastLine(log)}` : ''}`;
  return undefined;
}

/** A run is whole when it finished and measured every point it planned. */
function runProblem(run: RunResults): string | undefined {
  if (run.status !== 'complete') return `its run is ${run.status}, ${run.points.length} of ${run.plannedPoints} points saved`;
  if (run.points.length < run.plannedPoints) return `its run is incomplete: ${run.points.length} of ${run.plannedPoints} points`;
  return undefined;
}

/** One side's run of the scenario (of the points `only` lists), in its own folder; anything but a whole run ends the job. */
async function runSide(side: Side, role: Role, o: AbJobOptions, root: string, k: number, limit: number, only?: string[]): Promise<SideRun> {
  mkdirSync(root, { recursive: true });
  const onlyArgs: string[] = [];
  if (only) {
    writeFileSync(`${root}.points`, only.join('\n') + '\n');
    onlyArgs.push('--only', `${root}.points`);
  }
  const args = ['run', o.scenarioFile, '-o', root, '--no-report', ...onlyArgs, ...(o.budget ? ['--budget', o.budget] : [])];
  const log = `${root}.log`;
  const x = await spawnSide(side.argv, args, { log, timeoutSeconds: limit, env: { ...process.env, CI: 'true' } });
  if (x.killedFor === 'SIGINT' || x.killedFor === 'SIGTERM')
    throw new UserError(`ab: interrupted while the ${role} ran round ${k}; the rounds so far are under ${o.out}`, x.killedFor === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated);
  const bad = exitProblem(x, limit, log);
  if (bad) throw sideFailed(side, role, k, bad, log);
  const made = readdirSync(root);
  if (made.length !== 1) throw sideFailed(side, role, k, `it left ${made.length ? `${made.length} runs` : 'no run'} in ${root}${lastLine(log) ? ` (it printed: ${lastLine(log)})` : ''}`, log);
  let loaded: { dir: string; run: RunResults };
  try {
    loaded = loadRun(path.join(root, made[0]));
  } catch (e) {
    throw sideFailed(side, role, k, `its results cannot be read: ${(e as Error).message}`, log);
  }
  const incomplete = runProblem(loaded.run);
  if (incomplete) throw sideFailed(side, role, k, incomplete, log);
  return { ...loaded, seconds: x.seconds };
}

/** The points a side measured (ok), sorted. */
const measuredIds = (run: RunResults) => run.points.filter((p) => p.status === 'ok').map((p) => p.id).sort();

/**
 * Both sides run one scenario file, so both measure the same points: a point one side measured and the other
 * did not (failed, skipped, or absent) is the other side's failure. `want`: the points round 1 measured.
 */
function samePoints(sides: { a: Side; b: Side }, a: SideRun, b: SideRun, k: number, want: string[] | undefined): void {
  const ids = { a: measuredIds(a.run), b: measuredIds(b.run) };
  const expected = want ?? [...new Set([...ids.a, ...ids.b])].sort();
  for (const s of ['b', 'a'] as const) {
    const have = new Set(ids[s]);
    const lacking = expected.filter((id) => !have.has(id));
    if (!lacking.length) continue;
    const run = s === 'a' ? a : b;
    const why = run.run.points.find((p) => p.id === lacking[0]);
    const role: Role = s === 'a' ? 'baseline' : 'candidate';
    throw sideFailed(sides[s], role, k, `it measured ${have.size} of the ${expected.length} points${want ? ' of round 1' : ' the other side measured'}; '${lacking[0]}' ${why ? `${why.status}: ${why.reason ?? ''}` : 'is absent'}`, `${path.dirname(run.dir)}.log`); // the side's log beside its round folder
  }
}

/** The scenario as a side resolved it, for the check that both sides measure the same thing. */
const resolvedScenario = (run: RunResults) => {
  const { file: _file, ...s } = run.scenario;
  return JSON.stringify(s);
};

function sameScenario(a: RunResults, b: RunResults): void {
  if (resolvedScenario(a) === resolvedScenario(b)) return;
  const keys = Object.keys({ ...a.scenario, ...b.scenario }).filter((k) => k !== 'file');
  const differ = keys.filter((k) => JSON.stringify((a.scenario as Record<string, unknown>)[k]) !== JSON.stringify((b.scenario as Record<string, unknown>)[k]));
  throw new UserError(`ab: the two sides read the scenario differently (${differ.join(', ')} differ): their builds take another version of it; compare builds that resolve one scenario alike`);
}

/** Chunk runs of one side as one run: the first chunk's run with every chunk's points, their seconds added. */
function merged(parts: SideRun[]): SideRun {
  return { dir: parts[0].dir, run: { ...parts[0].run, points: parts.flatMap((x) => x.run.points) }, seconds: parts.reduce((s, x) => s + x.seconds, 0) };
}

/**
 * One round: at grain 'run' each side runs the whole scenario once; finer, the sides take turns chunk by
 * chunk (a method's points, or one point), so the two measurements of a point lie seconds apart, not a run.
 * Round 1 always runs whole (it names the points the chunks are cut from, and checks the scenario).
 */
async function runRound(sides: { a: Side; b: Side }, o: AbJobOptions, k: number, ids: string[] | undefined, limit: SideLimit): Promise<{ a: SideRun; b: SideRun; order: [SideName, SideName] }> {
  const order = roundOrder(o.order, k - 1, o.seed);
  const folder = (s: SideName, j?: number) => path.join(o.out, `round-${String(k).padStart(2, '0')}-${s}${j === undefined ? '' : `-${String(j + 1).padStart(3, '0')}`}`);
  const role = (s: SideName) => (s === 'a' ? 'baseline' : 'candidate');
  const got: Record<SideName, SideRun[]> = { a: [], b: [] };
  const chunks = ids && o.grain !== 'run' ? chunksOf(ids, o.grain) : undefined;
  if (!chunks)
    for (const s of order) {
      const x = await runSide(sides[s], role(s), o, folder(s), k, limit.seconds(), undefined);
      limit.saw(x.seconds);
      got[s].push(x);
    }
  else
    for (const [j, chunk] of chunks.entries())
      for (const s of chunkOrder(order, j)) got[s].push(await runSide(sides[s], role(s), o, folder(s, j), k, limit.seconds(), chunk));
  return { a: merged(got.a), b: merged(got.b), order };
}

/** The uncertain points the job gave up on, saying why. */
function markHopeless(points: PointComparison[], ids: string[], cap: number): PointComparison[] {
  return points.map((p) => (ids.includes(p.id) ? { ...p, note: `${p.note}; at this spread ${cap} rounds could not resolve it either` } : p));
}

/**
 * How long a side may run: --side-timeout, else SIDE_TIMEOUT_FACTOR times the longest whole run of round 1
 * (chunks of later rounds are shorter), at least SIDE_TIMEOUT_FLOOR_S; before any side has finished, the
 * first side gets FIRST_SIDE_TIMEOUT_S.
 */
export const SIDE_TIMEOUT_FACTOR = 4;
export const SIDE_TIMEOUT_FLOOR_S = 30;
export const FIRST_SIDE_TIMEOUT_S = 3600;
class SideLimit {
  private longest = 0;
  private frozen = false;
  constructor(private readonly given: number | undefined) {}
  seconds(): number {
    if (this.given !== undefined) return this.given;
    return this.longest ? Math.max(SIDE_TIMEOUT_FLOOR_S, SIDE_TIMEOUT_FACTOR * this.longest) : FIRST_SIDE_TIMEOUT_S;
  }
  /** a whole run of round 1 finished in `s` seconds */
  saw(s: number): void {
    if (!this.frozen) this.longest = Math.max(this.longest, s);
  }
  freeze(): void {
    this.frozen = true;
  }
}

export async function runAbJob(sides: { a: Side; b: Side }, o: AbJobOptions): Promise<AbJob> {
  const looks = lookRounds(o.minRounds, o.maxRounds);
  const verdict: PairedOptions = { ...o.verdict, looks: looks.length };
  const rounds: RoundRecord[] = [], runs: Round[] = [];
  let judged: ReturnType<typeof pairedVerdicts> = { paired: [], points: [], level: 0 };
  let ids: string[] | undefined;
  const limit = new SideLimit(o.sideTimeoutSeconds);
  for (let k = 1; k <= o.maxRounds; k++) {
    const { a, b, order } = await runRound(sides, o, k, ids, limit);
    if (k === 1) {
      limit.freeze();
      sameScenario(a.run, b.run);
    }
    samePoints(sides, a, b, k, k === 1 ? undefined : measuredIds(runs[0].a));
    if (k === 1) ids = measuredIds(a.run);
    rounds.push({ round: k, order, a: { dir: a.dir, seconds: a.seconds }, b: { dir: b.dir, seconds: b.seconds } });
    runs.push({ a: a.run, b: b.run });
    const look = looks.includes(k);
    if (look) judged = pairedVerdicts(runs, verdict);
    const { paired, points, level } = judged;
    const gated = points.filter((p) => isGated(p.method, o.verdict.gateCeilings) && p.verdict !== 'missing' && p.verdict !== 'new');
    const open = gated.filter((p) => p.verdict === 'uncertain').length;
    o.log(`round ${k}/${o.maxRounds} (${order.join(' then ').toUpperCase()}): baseline ${a.seconds.toFixed(1)} s, candidate ${b.seconds.toFixed(1)} s${look ? `; ${gated.length - open} of ${gated.length} gated points resolved` : ''}`);
    if (!look) continue;
    const end = canStop(points, o.maxRounds, verdict, level);
    if (k === o.maxRounds || end.stop) {
      const reason = !end.hopeless.length && !open ? 'every gated point resolved' : end.stop && k < o.maxRounds ? 'the rest cannot be resolved by the round cap' : 'round cap';
      return { rounds, runs, paired, points: markHopeless(points, end.hopeless, o.maxRounds), stop: { after: k, reason, looks: looks.length, hopeless: end.hopeless } };
    }
  }
  throw new Error('unreachable: the last round is a look');
}
