/** Markdown for a CI job summary ($GITHUB_STEP_SUMMARY) or a PR comment. */
import { failsJob, tallyText, type RunComparison } from './verdict.js';
import { change, ciText, neededText, sortForReading, summaryLine } from './print-table.js';

const ICON = { slower: '🔴', missing: '🟠', uncertain: '🟡', faster: '🟢', new: '🔵', same: '⚪' } as const;

export function toMarkdown(c: RunComparison): string {
  const lines = [
    `### gatherbench: ${failsJob(c.points) ? 'FAIL' : 'PASS'}: ${tallyText(c.points)}`,
    '',
    `baseline **${c.baseline.label}** (${c.baseline.machine}) → candidate **${c.candidate.label}** (${c.candidate.machine})`,
    '',
    summaryLine(c),
    '',
    '| | point | time change | interval of time ratio | GB/s (baseline → candidate) | p | note |',
    '| --- | --- | ---: | --- | --- | ---: | --- |',
  ];
  for (const p of sortForReading(c.points)) {
    const gbps = `${p.baselineGBps?.toFixed(2) ?? '–'} → ${p.candidateGBps?.toFixed(2) ?? '–'}`;
    lines.push(`| ${ICON[p.verdict]} ${p.verdict} | \`${p.id}\` | ${change(p)} | ${ciText(p)} | ${gbps} | ${p.p !== undefined ? p.p.toExponential(1) : ''} | ${[p.note, neededText(p, c.options.threshold)].filter(Boolean).join('; ')} |`);
  }
  return lines.join('\n') + '\n';
}
