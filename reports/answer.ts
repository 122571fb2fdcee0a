/**
 * The first thing a report says: which path answers the run's question best, with its number, its margin
 * over the next path and the point where it holds. Paths that read host memory only: the copy ceilings are
 * not gathers, and a table in GPU memory is the bound, not a way to fetch from the host.
 */
import type { PointResult, RunResults } from '../harness/results/model.js';
import { isTrainingStep, methodSpec } from '../harness/methods.js';
import { variantOf, varyingWorkloadAxes, workloadKey } from './charts/data.js';
import { formatSeconds } from '../harness/units.js';
import { f2 } from './format.js';

/** Whether a point fetches its rows from host memory (a gather the question is about, not a ceiling or the bound). */
function fromHost(p: PointResult): boolean {
  const spec = methodSpec(isTrainingStep(p.method) ? p.method.replace(/^step-/, '') : p.method);
  return !!spec && spec.role !== 'ceiling' && spec.source !== 'gpu-memory';
}

const label = (p: PointResult) => [p.method, variantOf(p, ['step', 'hidden'])].filter(Boolean).join(' ');

interface Race {
  key: string;
  winner: PointResult;
  next?: PointResult;
  margin: number;
}

/** Per workload, the best point and the best of another path: the lowest `value` for times, the highest for bandwidths. */
function races(points: PointResult[], value: (p: PointResult) => number, lowerIsBetter: boolean, keyOf: (p: PointResult) => string): Race[] {
  const by = new Map<string, PointResult[]>();
  for (const p of points) by.set(keyOf(p), [...(by.get(keyOf(p)) ?? []), p]);
  return [...by].map(([key, ps]) => {
    const sorted = [...ps].sort((a, b) => (lowerIsBetter ? value(a) - value(b) : value(b) - value(a)));
    const winner = sorted[0];
    const next = sorted.find((p) => p.method !== winner.method);
    const margin = next ? (lowerIsBetter ? value(next) / value(winner) : value(winner) / value(next)) : NaN;
    return { key, winner, next, margin };
  });
}

function where(p: PointResult, points: PointResult[]): string {
  const axes = varyingWorkloadAxes(points);
  const parts = axes.map((a) => (a === 'width' ? `${p.derived.rowBytes} B rows` : `${a} ${p.axes[a]}`));
  if (p.axes.step && new Set(points.map((x) => x.axes.step)).size > 1) parts.push(`${p.axes.step}`);
  return parts.join(', ') || 'the one workload';
}

export function answerOf(run: RunResults): string | undefined {
  let okPoints = run.points.filter((p) => p.status === 'ok' && p.stats && fromHost(p));
  // host-gather-copy is the host half of the CPU path: where GPU paths ran, it brings no row to the GPU
  if (okPoints.some((p) => methodSpec(p.method)?.backend !== 'host')) okPoints = okPoints.filter((p) => methodSpec(p.method)?.backend !== 'host');
  const steps = okPoints.filter((p) => isTrainingStep(p.method));
  const gathers = okPoints.filter((p) => !isTrainingStep(p.method) && p.bandwidth);
  const stepsAsked = steps.length > 0;
  const points = stepsAsked ? steps : gathers;
  if (!points.length) return undefined;
  const value = stepsAsked ? (p: PointResult) => p.stats!.median : (p: PointResult) => p.bandwidth!.median;
  const rs = races(points, value, stepsAsked, (p) => `${workloadKey(p)} ${stepsAsked ? p.axes.step ?? '' : ''}`);
  const wins = new Map<string, Race[]>();
  for (const r of rs) wins.set(label(r.winner), [...(wins.get(label(r.winner)) ?? []), r]);
  const [best, itsRaces] = [...wins].sort((a, b) => b[1].length - a[1].length)[0];
  const shown = itsRaces.filter((r) => r.next).sort((a, b) => b.margin - a.margin)[0] ?? itsRaces[0];
  const figure = (p: PointResult) => (stepsAsked ? formatSeconds(p.stats!.median) : `${f2(p.bandwidth!.median)} GB/s`);
  const what = stepsAsked ? 'The shortest training step from host memory' : 'The fastest gather from host memory';
  const others = [...wins].filter(([l]) => l !== best).map(([l, r]) => `${l} at ${r.length}`);
  const margins = itsRaces.filter((r) => r.next).map((r) => r.margin);
  const span = margins.length > 1 && f2(Math.min(...margins)) !== f2(Math.max(...margins)) ? `${f2(Math.min(...margins))}-${f2(Math.max(...margins))}x the next path, most ` : '';
  const margin = shown.next ? `, ${span}${f2(shown.margin)}x at ${where(shown.winner, points)}: ${figure(shown.winner)} against ${figure(shown.next)} for ${label(shown.next)}` : ` (${figure(shown.winner)} at ${where(shown.winner, points)}, no other path measured there)`;
  return `${what}: ${best}, at ${itsRaces.length} of ${rs.length} workload${rs.length === 1 ? '' : 's'}${margin}${others.length ? `; elsewhere ${others.join(', ')}` : ''}.`;
}
