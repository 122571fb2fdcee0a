/** The terminal table of a comparison: slower points first, then the rest. */
import { tallyText, type PointComparison, type RunComparison, type Verdict } from './verdict.js';

export const VERDICT_ORDER: Verdict[] = ['slower', 'missing', 'uncertain', 'faster', 'new', 'same'];

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
  return `${tallyText(c.points)} (${c.basis ?? `threshold ${(c.options.threshold * 100).toFixed(0)}%; noise from ${c.baseline.runs} baseline run(s) and any history, pooled by family; false rate ${c.options.alpha} a night`})`;
}

/** The bar a point had to clear, where run-to-run spread raised it above the threshold. */
export function neededText(p: PointComparison, threshold: number): string {
  if (p.needed === undefined || p.needed <= threshold + 1e-12) return '';
  return `needs ±${(p.needed * 100).toFixed(1)}%: ${p.runs === undefined ? '' : `${p.runs} `}runs spread ±${(p.runSpread! * 100).toFixed(1)}% (1 sigma)`;
}

export function toTable(c: RunComparison, all = false): string {
  const rows = sortForReading(c.points).filter((p) => all || p.verdict !== 'same');
  const lines = [`baseline:  ${c.baseline.label} on ${c.baseline.machine}`, `candidate: ${c.candidate.label} on ${c.candidate.machine}`, ''];
  // Ids are printed whole (two points may differ only at the end of theirs).
  const w = Math.min(90, Math.max(10, ...rows.map((p) => p.id.length)));
  for (const p of rows) {
    const gbps = p.baselineGBps !== undefined || p.candidateGBps !== undefined ? `${p.baselineGBps?.toFixed(2) ?? '-'} -> ${p.candidateGBps?.toFixed(2) ?? '-'} GB/s` : '';
    const notes = [p.note, neededText(p, c.options.threshold)].filter(Boolean).join('; ');
    lines.push(`${p.verdict.toUpperCase().padEnd(10)} ${p.id.padEnd(w)} ${change(p).padStart(13)} ${ciText(p).padEnd(17)} ${gbps}${notes ? `  (${notes})` : ''}`);
  }
  if (!all && c.counts.same) lines.push(`(${c.counts.same} points the same not shown; --all shows them)`);
  lines.push('', summaryLine(c));
  return lines.join('\n');
}
