/** A markdown table of a run's points: printed at the end of a run, pasteable into a PR or CI summary. */
import type { RunResults } from './model.js';
import { formatSeconds } from '../units.js';
import { ciLabel } from '../stats/ci-label.js';

export function toMarkdown(run: RunResults): string {
  const lines = [
    `**${run.scenario.name}** on ${run.backend}: ${run.points.filter((p) => p.status === 'ok').length} ok, ` +
      `${run.points.filter((p) => p.status === 'failed').length} failed, ${run.points.filter((p) => p.status === 'skipped').length} skipped`,
    '',
    '| method | point | GB/s | ± CI | median | samples | status |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const p of run.points) {
    const point = Object.entries(p.axes).filter(([k]) => !['dtype', 'alloc', 'device', 'threads'].includes(k) || run.points.some((q) => q.axes[k as keyof typeof q.axes] !== p.axes[k as keyof typeof p.axes])).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push(
      `| ${p.method} | ${point} | ${p.bandwidth ? p.bandwidth.median.toFixed(2) : ''} | ${ciLabel(p.stats)} | ` +
        `${p.stats ? formatSeconds(p.stats.median) : ''} | ${p.stats?.n ?? ''} | ${p.status}${p.reason ? `: ${p.reason}` : ''} |`,
    );
  }
  return lines.join('\n') + '\n';
}
