/** `gatherbench compare`: the regression gate. Exit 1 when a gated point is slower, 0 otherwise, 2 on bad input or nothing matched. */
import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { loadRun } from '../results/store.js';
import type { RunResults } from '../results/model.js';
import { describeMachine, gpuUuid, machineOf } from '../compare/machine.js';
import { WARM_COLD_WHY, otherSampleState, sampleState } from '../compare/sample-state.js';
import { resolveBaseline } from '../compare/baselines.js';
import { DEFAULT_COMPARE, compareRunPoints, countVerdicts, failsJob, type RunComparison } from '../compare/verdict.js';
import { toTable } from '../compare/print-table.js';
import { checkGateFiles, writeGateFiles } from '../compare/gate-files.js';
import { timingLine } from '../results/timing.js';
import { historyMedians, readHistory } from '../compare/history.js';
import { remeasure } from '../compare/confirm.js';
import type { CompareOptions, PointComparison } from '../compare/verdict.js';
import type { RunMedians } from '../compare/run-model.js';
import { applyConfirmation, pointsToConfirm, rejudge } from '../compare/verdict.js';

export interface CompareCliOptions {
  threshold?: string;
  alpha?: string;
  markdown?: string;
  junit?: string;
  json?: string;
  all?: boolean;
  force?: boolean;
  store?: string;
  failOnMissing?: boolean;
  gateCeilings?: boolean;
  /** a JSONL history whose earlier runs of this machine widen each point's run-to-run noise estimate */
  history?: string;
  /** re-measure the points called slower in a fresh process; only those slower again stay slower */
  confirm?: boolean;
  /** judge an interrupted or unfinished candidate run on the points it has */
  allowIncomplete?: boolean;
}

/** "5", "5%" or "0.05" -> 0.05 */
export function parseThreshold(s: string | undefined): number {
  if (s === undefined) return DEFAULT_COMPARE.threshold;
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$/.exec(s);
  if (!m) throw new UserError(`--threshold: expected a percentage like 5 or 5%, got '${s}'`);
  const v = Number(m[1]);
  const frac = m[2] || v >= 1 ? v / 100 : v;
  if (!(frac > 0 && frac < 1)) throw new UserError(`--threshold: expected between 0 and 100%, got '${s}'`);
  return frac;
}

function label(dir: string, run: RunResults): string {
  const c = run.environment.gitCommit;
  return `${path.basename(dir)} (${run.scenario.name}, ${/^[0-9a-f]{7,}/.test(c) ? c.slice(0, 12) : 'commit unknown'})`;
}

/** Points called slower (gated, measured in both) are measured again in a fresh process; a point not slower again is uncertain. */
function confirmSlower(points: PointComparison[], bases: RunResults[], cand: RunResults, o: CompareOptions, history: RunMedians[] | undefined, log: (l: string) => void): PointComparison[] {
  const ids = pointsToConfirm(points, cand);
  if (!ids.length) return points;
  const again = remeasure(cand, ids);
  const fresh = new Map(again.run.points.map((p) => [p.id, p]));
  const r = applyConfirmation(points, ids, (id) => rejudge(bases, cand, fresh.get(id), o, history));
  log(`confirmation: ${ids.length} point(s) re-measured in a fresh process in ${again.seconds.toFixed(1)} s (${again.dir}); ${r.confirmed} slower again`);
  return r.points;
}

/** `refs`: one or more baselines (run directories, or @name for the saved runs of that name), then the candidate. */
export function compareCommand(refs: string[], o: CompareCliOptions, log: (l: string) => void): number {
  if (refs.length < 2) throw new UserError('compare needs a baseline and a candidate');
  checkGateFiles(o);
  const cand = loadRun(refs[refs.length - 1]);
  // An interrupted or unfinished candidate lacks points: judged, it would pass on what it never measured.
  if (cand.run.status !== 'complete' && !o.allowIncomplete)
    throw new UserError(`the candidate ${cand.dir} is ${cand.run.status} (${cand.run.points.length} of ${cand.run.plannedPoints} points): finish it with run --resume, or judge what it has with --allow-incomplete`, ExitCode.failures);
  const bases: { dir: string; run: RunResults }[] = [];
  let note: string | undefined;
  for (const ref of refs.slice(0, -1)) {
    if (ref.startsWith('@')) {
      const r = resolveBaseline(ref.slice(1), cand.run, { store: o.store, force: o.force });
      bases.push(...r.runs);
      note ??= r.note;
    } else bases.push(loadRun(ref));
  }
  const cm = machineOf(cand.run);
  for (const b of bases) {
    const bm = machineOf(b.run);
    if (bm.model !== cm.model && !o.force)
      throw new UserError(`refusing to compare runs from different machines: baseline ${describeMachine(bm)}, candidate ${describeMachine(cm)} (--force to compare anyway)`);
  }
  const warmCold = otherSampleState(bases, cand.run);
  if (warmCold && !o.force)
    throw new UserError(`refusing to compare ${sampleState(warmCold.run)} samples (${warmCold.dir}) with ${sampleState(cand.run)} ones (the candidate): ${WARM_COLD_WHY}; re-save the baseline with this build (--force to compare anyway)`);
  const bm = machineOf(bases[0].run);
  const alpha = o.alpha === undefined ? DEFAULT_COMPARE.alpha : Number(o.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new UserError(`--alpha: expected the night's false rate, between 0 and 1, got '${o.alpha}'`);
  const options = { ...DEFAULT_COMPARE, threshold: parseThreshold(o.threshold), alpha, gateCeilings: !!o.gateCeilings };
  const history = o.history ? historyMedians(readHistory(o.history), cm.model, path.basename(cand.dir)) : undefined;
  let points = compareRunPoints(bases.map((b) => b.run), cand.run, options, history);
  if (o.confirm) points = confirmSlower(points, bases.map((b) => b.run), cand.run, options, history, log);
  const c: RunComparison = {
    baseline: { label: bases.length === 1 ? label(bases[0].dir, bases[0].run) : `${bases.length} runs (${bases.map((b) => path.basename(b.dir)).join(', ')})`, machine: describeMachine(bm), runs: bases.length },
    candidate: { label: label(cand.dir, cand.run), machine: describeMachine(cm) },
    options,
    points,
    counts: countVerdicts(points),
  };
  // A gate that matched nothing has checked nothing: that is a failure of the comparison, not a pass.
  if (c.counts.slower + c.counts.faster + c.counts.same + c.counts.uncertain === 0)
    throw new UserError(`nothing to compare: no point of the candidate matches a baseline point (${c.counts.missing} missing, ${c.counts.new} new); are these runs of the same scenario?`);
  if (note) log(`note: ${note}`);
  if (bm.driver !== cm.driver && !note) log(`note: drivers differ (baseline ${bm.driver}, candidate ${cm.driver})`);
  const gpu = gpuUuid(cand.run);
  const other = bases.filter((x) => gpu && gpuUuid(x.run) && gpuUuid(x.run) !== gpu);
  if (other.length)
    log(`note: ${other.length} of ${bases.length} baseline run(s) measured another ${cm.model} than the candidate (GPU ${gpu}): CPU paths differ from host to host (two H100 hosts mixed: 9% of nights failed on them); keep a baseline per runner`);
  if (bases.length === 1) log('note: one baseline run cannot measure how points move between runs: changes beyond the threshold are called uncertain, not slower; compare against several baseline runs (or save several under one name)');
  else {
    // The fewest runs any family's noise came from (baselines and history): few runs, wide run-shift bars.
    const runs = Math.min(...points.filter((p) => p.runs !== undefined).map((p) => p.runs!));
    if (runs < 5) log(`note: ${runs} runs measure how whole families of points shift from run to run, so a slowdown of a whole family must be large to be told from that; more baseline runs or a --history narrow it, and gatherbench ab (two builds interleaved on one machine) removes it`);
  }
  log(toTable(c, o.all));
  // What each side's run spent its wall time on (issue: the harness's own cost is a product metric).
  const timed = [...bases.slice(-1), cand].filter((x) => x.run.timing);
  for (const x of timed) log(`${x === cand ? 'candidate' : 'baseline '} time: ${timingLine(x.run.timing!)}`);
  writeGateFiles(c, o);
  return failsJob(c.points, o.failOnMissing) ? ExitCode.failures : ExitCode.ok;
}
