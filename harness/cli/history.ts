/** `gatherbench history append|report`. */
import { mkdirSync } from 'node:fs';
import { checkOutputDir } from '../output-path.js';
import path from 'node:path';
import { loadRun, writeAtomic } from '../results/store.js';
import { appendHistory, findSteps, readHistory } from '../compare/history.js';
import { renderHistory } from '../../reports/history.js';
import { parseThreshold } from './compare.js';

export function historyAppendCommand(run: string, o: { file: string }, log: (l: string) => void): number {
  const { dir, run: r } = loadRun(run);
  log(`appended ${appendHistory(o.file, dir, r)} points to ${o.file}`);
  return 0;
}

export function historyReportCommand(o: { file: string; out: string; threshold: string }, log: (l: string) => void): number {
  const records = readHistory(o.file);
  const threshold = parseThreshold(o.threshold);
  const steps = findSteps(records, threshold);
  checkOutputDir('-o', o.out);
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, 'history.html');
  writeAtomic(file, renderHistory(records, steps, threshold));
  log(`history: ${file} (${steps.length} step change(s))`);
  return 0;
}
