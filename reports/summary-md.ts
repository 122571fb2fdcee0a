/** summary.md: the headline numbers of a run, for PR comments and CI job summaries. */
import type { RunResults } from '../harness/results/model.js';
import { ciLabel } from '../harness/stats/ci-label.js';
import { findings } from './findings.js';
import { ok, variantOf } from './charts/data.js';
import { warnings } from './html.js';
import { answerOf } from './answer.js';

export function summaryMarkdown(run: RunResults): string {
  const lines = [
    `## gatherbench: ${run.scenario.name}`,
    '',
    ...(answerOf(run) ? [`**${answerOf(run)}**`, ''] : []),
    `${run.backend} · ${run.points.filter((p) => p.status === 'ok').length} points ok, ${run.points.filter((p) => p.status === 'failed').length} failed, ${run.points.filter((p) => p.status === 'skipped').length} skipped · ${run.status} · ${run.startedAt}`,
    '',
  ];
  const w = warnings(run);
  if (w.length) lines.push(...w.map((x) => `> ⚠ ${x}`), '');
  const fs = findings(run);
  if (fs.length) lines.push('### Findings', '', ...fs.map((f) => `- **${f.title}.** ${f.headline}${f.basis ? ` _(${f.basis})_` : ''}`), '');
  lines.push('### Best bandwidth per method', '', '| method | GB/s | ± CI | at |', '| --- | ---: | ---: | --- |');
  const best = new Map<string, (typeof run.points)[number]>();
  for (const p of ok(run)) {
    const k = [p.method, variantOf(p)].filter(Boolean).join(' ');
    if (!best.has(k) || p.bandwidth!.median > best.get(k)!.bandwidth!.median) best.set(k, p);
  }
  for (const [k, p] of best) lines.push(`| ${k} | ${p.bandwidth!.median.toFixed(2)} | ${ciLabel(p.stats)} | width ${p.axes.width}, batch ${p.axes.batch}${p.axes.table ? `, ${p.axes.table}` : ''} |`);
  return lines.join('\n') + '\n';
}
