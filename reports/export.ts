/**
 * Static export of a run's charts: SVG rendered headless with vega's View
 * (no browser needed), PNG through headless Chromium where it is installed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Chart } from './charts/types.js';
import { withReportPage } from './browser.js';

export async function chartSvg(chart: Chart): Promise<string> {
  // Compiler advice (e.g. on encodings) is for chart authors, not for report readers.
  const quiet = vega.logger(vega.None);
  const view = new vega.View(vega.parse(compile(chart.spec as unknown as TopLevelSpec, { logger: quiet }).spec), { renderer: 'none', logLevel: vega.None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes <dir>/charts/<id>.svg for every chart; returns the files. */
export async function exportSvgs(charts: Chart[], dir: string): Promise<string[]> {
  const out = path.join(dir, 'charts');
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  for (const c of charts) {
    const file = path.join(out, `${c.id}.svg`);
    writeFileSync(file, await chartSvg(c));
    files.push(file);
  }
  return files;
}

/** Screenshots each chart of an HTML report as <dir>/charts/<id>.png. */
export async function exportPngs(reportFile: string, dir: string): Promise<string[]> {
  const out = path.join(dir, 'charts');
  mkdirSync(out, { recursive: true });
  return withReportPage(reportFile, async (page, check) => {
    const { charts } = await check();
    const files: string[] = [];
    for (const c of charts.filter((x) => x.rendered)) {
      const file = path.join(out, `${c.id.replace(/^chart-/, '')}.png`);
      await page.locator(`#${c.id}`).screenshot({ path: file });
      files.push(file);
    }
    return files;
  });
}
