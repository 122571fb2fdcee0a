import path from 'node:path';
import { writeAtomic } from '../harness/results/store.js';
import type { RunResults } from '../harness/results/model.js';
import { renderRunReport } from './html.js';

/** Writes <run dir>/report.html and returns its path. */
export function writeRunReport(dir: string, run: RunResults): string {
  const file = path.join(dir, 'report.html');
  writeAtomic(file, renderRunReport(run));
  return file;
}
