/** JUnit XML: one test case per point, a gated point called slower is a failure, a missing point is skipped. */
import type { RunComparison } from './verdict.js';
import { change, ciText } from './print-table.js';

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

export function toJunit(c: RunComparison): string {
  const cases = c.points.map((p) => {
    const name = `name="${esc(p.id)}" classname="gatherbench.${esc(p.method)}"`;
    const detail = `${change(p)} ${ciText(p)} ${p.note ?? ''}`.trim();
    if (p.verdict === 'slower' && p.gated !== false) return `    <testcase ${name}><failure message="${esc(`slower: ${detail}`)}">${esc(`baseline ${p.baselineGBps ?? '-'} GB/s, candidate ${p.candidateGBps ?? '-'} GB/s, p=${p.p ?? '-'}`)}</failure></testcase>`;
    if (p.verdict === 'missing') return `    <testcase ${name}><skipped message="missing from the candidate run"/></testcase>`;
    return `    <testcase ${name}>${detail ? `<system-out>${esc(`${p.verdict}: ${detail}`)}</system-out>` : ''}</testcase>`;
  });
  const n = c.points.length;
  const failures = c.points.filter((p) => p.verdict === 'slower' && p.gated !== false).length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="gatherbench compare" tests="${n}" failures="${failures}" skipped="${c.counts.missing}">
  <testsuite name="${esc(`${c.baseline.label} -> ${c.candidate.label}`)}" tests="${n}" failures="${failures}" skipped="${c.counts.missing}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}
