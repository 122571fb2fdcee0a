/**
 * An interleaved A/B job: the same scenario file run by two builds on one machine, round after round, the
 * order alternating; after every look round the paired verdicts are taken, and the job stops once every gated
 * point has an answer (or at the round cap). Every run stays on disk under the job's folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { UserError } from '../errors.js';
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

/** One side's run of the scenario (of the points `only` lists), in its own folder; exit 1 (a point failed) still yields a run. */
function runSide(side: Side, role: string, o: AbJobOptions, root: string, only?: string[]): SideRun {
  mkdirSync(root, { recursive: true });
  const onlyArgs: string[] = [];
  if (only) {
    writeFileSync(`${root}.points`, only.join('\n') + '\n');
    onlyArgs.push('--only', `${root}.points`);
  }
  const args = [...side.argv.slice(1), 'run', o.scenarioFile, '-o', root, '--no-report', ...onlyArgs, ...(o.budget ? ['--budget', o.budget] : [])];
  const t0 = performance.now();
  const r = spawnSync(side.argv[0], args, { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 256 << 20 });
  const seconds = (performance.now() - t0) / 1e3;
  writeFileSync(`${root}.log`, `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.signal === 'SIGINT' || r.status === 130) throw new UserError(`ab: interrupted while the ${role} ran; the rounds so far are under ${o.out}`);
  if (r.status !== 0 && r.status !== 1) {
    const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').pop() || String(r.error?.message ?? `signal ${r.signal}`);
    throw new UserError(`ab: the ${role} (${side.label}) failed to run the scenario (exit ${r.status ?? r.signal}): ${why} (log: ${root}.log)`);
  }
  const made = readdirSync(root);
  if (made.length !== 1) throw new UserError(`ab: the ${role} (${side.label}) left no run in ${root} (log: ${root}.log)`);
  return { ...loadRun(path.join(root, made[0])), seconds };
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
function runRound(sides: { a: Side; b: Side }, o: AbJobOptions, k: number, ids: string[] | undefined): { a: SideRun; b: SideRun; order: [SideName, SideName] } {
  const order = roundOrder(o.order, k - 1, o.seed);
  const folder = (s: SideName, j?: number) => path.join(o.out, `round-${String(k).padStart(2, '0')}-${s}${j === undefined ? '' : `-${String(j + 1).padStart(3, '0')}`}`);
  const role = (s: SideName) => (s === 'a' ? 'baseline' : 'candidate');
  const got: Record<SideName, SideRun[]> = { a: [], b: [] };
  const chunks = ids && o.grain !== 'run' ? chunksOf(ids, o.grain) : undefined;
  if (!chunks) for (const s of order) got[s].push(runSide(sides[s], role(s), o, folder(s)));
  else chunks.forEach((chunk, j) => {
    for (const s of chunkOrder(order, j)) got[s].push(runSide(sides[s], role(s), o, folder(s, j), chunk));
  });
  return { a: merged(got.a), b: merged(got.b), order };
}

/** The uncertain points the job gave up on, saying why. */
function markHopeless(points: PointComparison[], ids: string[], cap: number): PointComparison[] {
  return points.map((p) => (ids.includes(p.id) ? { ...p, note: `${p.note}; at this spread ${cap} rounds could not resolve it either` } : p));
}

export function runAbJob(sides: { a: Side; b: Side }, o: AbJobOptions): AbJob {
  const looks = lookRounds(o.minRounds, o.maxRounds);
  const verdict: PairedOptions = { ...o.verdict, looks: looks.length };
  const rounds: RoundRecord[] = [], runs: Round[] = [];
  let judged: ReturnType<typeof pairedVerdicts> = { paired: [], points: [], level: 0 };
  let ids: string[] | undefined;
  for (let k = 1; k <= o.maxRounds; k++) {
    const { a, b, order } = runRound(sides, o, k, ids);
    if (k === 1) {
      sameScenario(a.run, b.run);
      const inB = new Set(b.run.points.map((p) => p.id));
      ids = a.run.points.map((p) => p.id).filter((id) => inB.has(id));
    }
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
