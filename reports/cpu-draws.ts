/**
 * What a finding that divides by the CPU path rests on: how many draws stand behind each of its points and
 * how far they spread (harness/runner/draws.ts). A run made before draws says it has one draw a point.
 */
import type { PointResult } from '../harness/results/model.js';
import { drawSpread } from '../harness/stats/draws.js';

export function cpuDrawsBasis(points: PointResult[]): string | undefined {
  const ok = points.filter((p) => p.status === 'ok');
  if (!ok.length) return undefined;
  const drawn = ok.filter((p) => p.draws && p.draws.medians.length > 1);
  if (!drawn.length) return `the CPU path: one draw a point, measured in one block (a run before draws: its figure may rest on one lucky draw)`;
  const counts = [...new Set(drawn.map((p) => p.draws!.medians.length))].sort((a, b) => a - b);
  const spreads = drawn.map((p) => drawSpread(p.draws!.medians) * 100);
  const lo = Math.min(...spreads), hi = Math.max(...spreads);
  const span = lo.toFixed(1) === hi.toFixed(1) ? `${lo.toFixed(1)}%` : `${lo.toFixed(1)}-${hi.toFixed(1)}%`;
  return `the CPU path: ${counts.join('-')} draws a point, spread ${span} between draws (SD of ln), each point's interval over its draws`;
}
