import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { findChromium, layoutProblems, withReportPage } from '../reports/browser.js';
import { loadRun } from '../harness/results/store.js';
import { exportRunCharts, writeComparison, writeRunReport } from '../reports/write-report.js';
import { runCharts } from '../reports/charts/index.js';
import { runCommand } from '../harness/cli/run.js';
import { reportCommand } from '../harness/cli/report.js';
import { PlainProgress } from '../harness/runner/progress.js';
import { packageRoot } from '../harness/paths.js';
import { scenarioFile, tmpDir } from './helpers.js';

const chromium = findChromium();
// Screenshots to look at after a run, outside the checkout (tests never write into it).
const artefacts = process.env.GATHERBENCH_TEST_OUTPUT ?? path.join(os.tmpdir(), 'gatherbench-test-output');
const quiet = () => undefined;

/** A report from a real GPU run, kept in docs/runs, rebuilt in a temp dir. */
function gpuRunCopy(name: string): string {
  const dir = path.join(tmpDir(), name);
  cpSync(path.join(packageRoot, 'docs', 'runs', name), dir, { recursive: true });
  return dir;
}

async function hostRun(): Promise<string> {
  const out = tmpDir();
  const file = scenarioFile(`
name: browser
methods: [host-gather-copy, host-memcpy]
axes: { width: [16, 100], batch: [256, 2048], table: ["5000 rows"] }
sampling: { minSamples: 5, budget: 150ms, precision: 0.1 }
telemetry: { window: 100ms, idle: 100ms, interval: 20ms }
`);
  expect(await runCommand(file, { out, log: quiet, progress: new PlainProgress(quiet) })).toBe(0);
  return path.join(out, readdirSync(out)[0]);
}

async function expectRendered(file: string, screenshot: string, minCharts: number) {
  await withReportPage(file, async (page, check) => {
    const c = await check();
    expect(c.consoleErrors).toEqual([]);
    expect(c.externalRequests).toEqual([]);
    expect(c.charts.length).toBeGreaterThanOrEqual(minCharts);
    for (const chart of c.charts) {
      expect(chart.rendered, `${chart.id} rendered`).toBe(true);
      expect(chart.marks, `${chart.id} has marks`).toBeGreaterThan(10);
    }
    mkdirSync(artefacts, { recursive: true });
    await page.screenshot({ path: path.join(artefacts, screenshot), fullPage: true });
  });
}

describe.skipIf(!chromium)(`reports in a real browser${chromium ? '' : ' (skipped: no Chromium; apt-get install chromium)'}`, () => {
  it('a host-only run report renders every chart offline, without errors', async () => {
    const dir = await hostRun();
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('host-only (no CUDA device)');
    await expectRendered(path.join(dir, 'report.html'), 'report-host-only.png', 3);
  });

  it('a GPU run report (H100, docs/runs) renders every chart, findings included', async () => {
    const dir = gpuRunCopy('h100-cuda-paths');
    const { run } = loadRun(dir);
    const file = writeRunReport(dir, run);
    expect(readFileSync(file, 'utf8')).toMatch(/<h2>Findings<\/h2>.*Alignment gain/s);
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/### Findings/);
    await expectRendered(file, 'report-h100.png', 6);
  });

  it('a comparison of two runs renders, with points matched by axes and mismatches listed', async () => {
    const [a, b] = [await hostRun(), await hostRun()];
    const file = await writeComparison([loadRun(a), loadRun(b)], tmpDir());
    expect(readFileSync(file, 'utf8')).toContain('None: every point is in every run.');
    await expectRendered(file, 'compare.png', 2);
    const apart = readFileSync(await writeComparison([loadRun(gpuRunCopy('h100-cuda-paths')), loadRun(gpuRunCopy('h100-contention'))], tmpDir()), 'utf8');
    expect(apart).toMatch(/only in #1 .*\(132\)/);
    expect(apart).toMatch(/only in #2 .*\(24\)/);
  });

  it('exports one SVG per chart (and PNGs through the browser)', async () => {
    const dir = gpuRunCopy('h100-cuda-paths');
    const { run } = loadRun(dir);
    writeRunReport(dir, run);
    const files = await exportRunCharts(dir, run, { svg: true, png: true });
    const ids = runCharts(run).map((c) => c.id);
    for (const id of ids) {
      const svg = path.join(dir, 'charts', `${id}.svg`);
      expect(existsSync(svg)).toBe(true);
      expect(readFileSync(svg, 'utf8')).toMatch(/^<svg [^>]*width="\d+"/);
      expect(existsSync(path.join(dir, 'charts', `${id}.png`))).toBe(true);
    }
    expect(files).toHaveLength(2 * ids.length);
  });

  it('every stored run and an A/B job read whole from 1,000 to 1,600 px: nothing wider than the window, no chart text cut, no NaN, no console error', async () => {
    const runs = storedRuns();
    expect(runs.length).toBeGreaterThan(20);
    const job = path.join(tmpDir(), 'ab-5');
    cpSync(path.join(packageRoot, 'docs', 'runs', 'h100-nightly-ab', 'ab-5'), job, { recursive: true });
    expect(await reportCommand([job], {}, quiet)).toBe(0); // gatherbench report <A/B job folder>
    const files = [...runs.map((r) => { const dir = gpuRunCopy(r); return writeRunReport(dir, loadRun(dir).run); }), path.join(job, 'report.html')];
    for (const file of files)
      await withReportPage(file, async (page, check) => {
        const c = await check();
        expect(c.consoleErrors, file).toEqual([]);
        for (const width of [1000, 1600]) {
          const l = await layoutProblems(page, width);
          expect(l, `${file} at ${width} px`).toEqual({ overflowPx: 0, ellipsized: [], badText: [] });
        }
      });
  }, 300000);
});

/** Every run docs/runs keeps (a folder's results.json, or the first run of a folder of runs). */
function storedRuns(): string[] {
  const root = path.join(packageRoot, 'docs', 'runs');
  const out: string[] = [];
  for (const d of readdirSync(root).filter((f) => !f.endsWith('.md'))) {
    if (existsSync(path.join(root, d, 'results.json'))) out.push(d);
    else {
      const first = readdirSync(path.join(root, d)).find((e) => existsSync(path.join(root, d, e, 'results.json')));
      if (first) out.push(path.join(d, first));
    }
  }
  return out;
}

