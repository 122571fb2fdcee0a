import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../harness/results/store.js';
import type { RunResults } from '../harness/results/model.js';
import { UserError } from '../harness/errors.js';
import { renderRunReport } from './html.js';
import { summaryMarkdown } from './summary-md.js';
import { runCharts } from './charts/index.js';
import { exportPngs, exportSvgs } from './export.js';
import { compareRuns, comparisonCharts, labelRuns, renderComparison } from './compare.js';

/** Writes <run dir>/report.html and summary.md; returns the report's path. */
export function writeRunReport(dir: string, run: RunResults): string {
  const file = path.join(dir, 'report.html');
  writeAtomic(file, renderRunReport(run));
  writeAtomic(path.join(dir, 'summary.md'), summaryMarkdown(run));
  return file;
}

export async function exportRunCharts(dir: string, run: RunResults, o: { svg?: boolean; png?: boolean }): Promise<string[]> {
  const files: string[] = [];
  if (o.svg) files.push(...(await exportSvgs(runCharts(run), dir)));
  if (o.png) files.push(...(await exportPngs(path.join(dir, 'report.html'), dir)));
  return files;
}

/** Writes <out>/compare.html (and chart SVGs with svg); returns the report's path. */
/** The runs a comparison folder was drawn from, so `report <folder>` can draw it again. */
export const SOURCES = 'sources.json';

export function readSources(dir: string): string[] {
  try {
    const runs = JSON.parse(readFileSync(path.join(dir, SOURCES), 'utf8')).runs;
    if (Array.isArray(runs) && runs.every((r) => typeof r === 'string')) return runs;
  } catch {
    // fall through
  }
  throw new UserError(`${path.join(dir, SOURCES)}: not a comparison's list of runs`);
}

export async function writeComparison(runs: { dir: string; run: RunResults }[], out: string, o: { svg?: boolean } = {}): Promise<string> {
  if (runs.length < 2) throw new UserError('--compare needs at least two runs');
  mkdirSync(out, { recursive: true });
  const c = compareRuns(labelRuns(runs));
  const file = path.join(out, 'compare.html');
  writeAtomic(file, renderComparison(c));
  writeAtomic(path.join(out, SOURCES), JSON.stringify({ runs: runs.map((r) => path.resolve(r.dir)) }, null, 1));
  if (o.svg) await exportSvgs(comparisonCharts(c), out);
  return file;
}
