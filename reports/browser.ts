/**
 * Opens a report in headless Chromium (playwright-core driving the system's
 * Chromium; no browser download) and says what rendered: used by the browser
 * test and by PNG export.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { UserError } from '../harness/errors.js';

export const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];

export function findChromium(): string | undefined {
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

export interface PageCheck {
  /** per chart container: how many SVG/canvas elements with a non-empty size it holds */
  charts: { id: string; rendered: boolean; marks: number }[];
  consoleErrors: string[];
  /** requests that left the file: the report must make none */
  externalRequests: string[];
}

type Page = import('playwright-core').Page;

export async function withReportPage<T>(file: string, fn: (page: Page, check: () => Promise<PageCheck>) => Promise<T>): Promise<T> {
  const executablePath = findChromium();
  if (!executablePath) throw new UserError('no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    throw new UserError('playwright-core is not installed (it is a development dependency: npm ci installs it)');
  }
  const browser = await pw.chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleErrors: string[] = [];
    const externalRequests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && externalRequests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const check = async (): Promise<PageCheck> => {
      await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((c) => c.querySelector('svg, canvas')), null, { timeout: 15_000 }).catch(() => undefined);
      const charts = await page.$$eval('.chart', (els) =>
        els.map((el) => {
          const g = el.querySelector('svg, canvas') as SVGElement | HTMLCanvasElement | null;
          const box = g?.getBoundingClientRect();
          return { id: el.id, rendered: !!g && !!box && box.width > 0 && box.height > 0, marks: el.querySelectorAll('path, rect, circle, line, text').length };
        }),
      );
      return { charts, consoleErrors: [...consoleErrors], externalRequests: [...externalRequests] };
    };
    return await fn(page, check);
  } finally {
    await browser.close();
  }
}

/** What a reader at this window width would find wrong: the page wider than the window, chart text cut short, numbers that are no numbers. */
export interface LayoutProblems {
  overflowPx: number;
  ellipsized: string[];
  badText: string[];
}

export async function layoutProblems(page: Page, width: number): Promise<LayoutProblems> {
  await page.setViewportSize({ width, height: 900 });
  await page.waitForTimeout(300); // vega re-lays out container-sized charts on resize
  return page.evaluate(() => {
    const overflowPx = document.documentElement.scrollWidth - document.documentElement.clientWidth;
    const ellipsized = [...document.querySelectorAll('.chart svg text')].map((t) => t.textContent ?? '').filter((t) => t.includes('…'));
    const text = document.body.innerText;
    const badText = [...new Set(text.match(/[^\n]{0,40}\b(NaN|undefined|Infinity)\b[^\n]{0,40}/g) ?? [])];
    return { overflowPx, ellipsized, badText };
  });
}
