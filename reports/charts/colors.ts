/**
 * One colour per series across every chart of a report: each method owns a
 * hue (in the order of the method catalogue, so pinned-memcpy is the same
 * colour in every run), its plain series the dark shade, its first variant
 * the light one, further variants colours no method owns. No two series of a
 * run share a colour.
 */
import { METHOD_NAMES } from '../../harness/methods.js';
import type { RunResults } from '../../harness/results/model.js';
import { chartRows } from './data.js';

// tableau20: ten hues, each dark then light.
const TAB20 = ['#4c78a8', '#9ecae9', '#f58518', '#ffbf79', '#54a24b', '#88d27a', '#b79a20', '#f2cf5b', '#439894', '#83bcb6',
  '#e45756', '#ff9d98', '#79706e', '#bab0ac', '#d67195', '#fcbfd2', '#b279a2', '#d6a5c9', '#9e765f', '#d8b5a5'];
// Hues no method owns, for a method's third and later variants.
const SPARE = ['#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#5254a3', '#8ca252', '#bd9e39', '#ad494a', '#a55194', '#6b6ecf', '#b5cf6b'];

export function seriesColors(series: Iterable<string>): Map<string, string> {
  const all = [...new Set(series)].sort();
  const out = new Map<string, string>();
  let spare = 0;
  const variantsSeen = new Map<string, number>();
  for (const s of all) {
    const method = METHOD_NAMES.find((m) => s === m || s.startsWith(`${m} `));
    const hue = method === undefined ? -1 : METHOD_NAMES.indexOf(method);
    if (hue < 0 || hue >= 10) {
      out.set(s, SPARE[spare++ % SPARE.length]);
      continue;
    }
    if (s === method) {
      out.set(s, TAB20[2 * hue]);
      continue;
    }
    const k = variantsSeen.get(method!) ?? 0;
    variantsSeen.set(method!, k + 1);
    out.set(s, k === 0 ? TAB20[2 * hue + 1] : SPARE[spare++ % SPARE.length]);
  }
  return out;
}

/** A vega-lite colour scale for the series in `shown`, with the colours the whole run gives them. */
export function seriesScale(run: RunResults, shown: Iterable<string>): { domain: string[]; range: string[] } {
  const colors = seriesColors(chartRows(run).map((r) => r.series));
  const domain = [...new Set(shown)].sort();
  return { domain, range: domain.map((s) => colors.get(s) ?? seriesColors([s]).get(s)!) };
}
