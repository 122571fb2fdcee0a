/** `gatherbench report` and `merge`: rebuild a run's report, compare runs, combine hosts. */
import path from 'node:path';
import { checkOutputDir } from '../output-path.js';
import { UserError } from '../errors.js';
import { loadRun, utcStamp } from '../results/store.js';
import { exportRunCharts, writeComparison, writeRunReport } from '../../reports/write-report.js';


export async function reportCommand(refs: string[], o: { compare?: boolean; out?: string; svg?: boolean; png?: boolean }, log: (l: string) => void): Promise<number> {
  const runs = refs.map((r) => loadRun(r));
  if (o.compare) {
    const out = o.out ?? path.join('results', `compare-${utcStamp()}`);
    checkOutputDir('-o', out);
    log(`comparison: ${await writeComparison(runs, out, o)}`);
    return 0;
  }
  if (runs.length > 1) throw new UserError('several runs given: add --compare to compare them');
  const [{ dir, run }] = runs;
  log(`report: ${writeRunReport(dir, run)}`);
  for (const f of await exportRunCharts(dir, run, o)) log(`chart:  ${f}`);
  return 0;
}

export async function mergeCommand(refs: string[], o: { out: string; svg?: boolean }, log: (l: string) => void): Promise<number> {
  const runs = refs.map((r) => loadRun(r));
  checkOutputDir('-o', o.out);
  log(`merged ${runs.length} runs: ${await writeComparison(runs, o.out, o)}`);
  return 0;
}
