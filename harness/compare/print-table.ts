/** The terminal table of a comparison: regressions first, then the rest. */
import type { PointComparison, RunComparison, Verdict } from './verdict.js';

export const VERDICT_ORDER: Verdict[] = ['regressed', 'missing', 'improved', 'new', 'unchanged'];

export function sortForReading(points: PointComparison[]): PointComparison[] {
  return [...points].sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict) || a.id.localeCompare(b.id));
}

export function change(p: PointComparison): string {
  if (p.timeRatio === undefined) return '';
  const pct = (p.timeRatio - 1) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}% time`;
}

export function ciText(p: PointComparison): string {
  return p.ratioCi ? `[${p.ratioCi[0].toFixed(3)}, ${p.ratioCi[1].toFixed(3)}]` : '';
}

export function summaryLine(c: RunComparison): string {
  const n = c.counts;
  return `${n.regressed} regressed, ${n.improved} improved, ${n.unchanged} unchanged, ${n.missing} missing, ${n.new} new (threshold ${(c.options.threshold * 100).toFixed(0)}% or twice the run-to-run spread of ${c.baseline.runs} baseline run(s), alpha ${c.options.alpha})`;
}

/** The bar a point had to clear, where run-to-run spread raised it above the threshold. */
export function neededText(p: PointComparison, threshold: number): string {
  return p.needed !== undefined && p.needed > threshold + 1e-12 ? `needs ±${(p.needed * 100).toFixed(1)}%: baseline runs spread ±${(p.runSpread! * 100).toFixed(1)}%` : '';
}

export function toTable(c: RunComparison, all = false): string {
  const rows = sortForReading(c.points).filter((p) => all || p.verdict !== 'unchanged');
  const lines = [`baseline:  ${c.baseline.label} on ${c.baseline.machine}`, `candidate: ${c.candidate.label} on ${c.candidate.machine}`, ''];
  // Ids are printed whole (two points may differ only at the end of theirs).
  const w = Math.min(90, Math.max(10, ...rows.map((p) => p.id.length)));
  for (const p of rows) {
    const gbps = p.baselineGBps !== undefined || p.candidateGBps !== undefined ? `${p.baselineGBps?.toFixed(2) ?? '-'} -> ${p.candidateGBps?.toFixed(2) ?? '-'} GB/s` : '';
    const notes = [p.note, neededText(p, c.options.threshold)].filter(Boolean).join('; ');
    lines.push(`${p.verdict.toUpperCase().padEnd(10)} ${p.id.padEnd(w)} ${change(p).padStart(13)} ${ciText(p).padEnd(17)} ${gbps}${notes ? `  (${notes})` : ''}`);
  }
  if (!all && c.counts.unchanged) lines.push(`(${c.counts.unchanged} unchanged points not shown; --all shows them)`);
  lines.push('', summaryLine(c));
  return lines.join('\n');
}
