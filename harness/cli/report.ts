/** `gatherbench report` and `merge`: rebuild a run's report, compare runs, combine hosts. */
import path from 'node:path';
import { checkOutputDir } from '../output-path.js';
import { UserError } from '../errors.js';
import { loadRun, utcStamp } from '../results/store.js';
import { SOURCES, exportRunCharts, readSources, writeComparison, writeRunReport } from '../../reports/write-report.js';
import { existsSync, statSync } from 'node:fs';
import { writeAtomic } from '../results/store.js';
import { renderAbReport } from '../../reports/ab.js';
import { abReportOf, loadAbJob } from '../ab/record.js';
import { toMarkdown } from '../compare/print-markdown.js';


/** An A/B job's folder: its report.html and summary.md rebuilt from ab.json (and its rounds' runs). */
function rebuildAbJob(dir: string, log: (l: string) => void): number {
  const { record, paired, missing } = loadAbJob(dir);
  if (missing) log(`note: ${missing}`);
  writeAtomic(path.join(dir, 'report.html'), renderAbReport(abReportOf(record, paired)));
  writeAtomic(path.join(dir, 'summary.md'), toMarkdown(record));
  log(`report: ${path.join(dir, 'report.html')}`);
  log(`summary: ${path.join(dir, 'summary.md')}`);
  return 0;
}

/** A comparison's folder (report --compare, merge): rebuilt from the runs it names. */
async function rebuildComparison(dir: string, o: { svg?: boolean }, log: (l: string) => void): Promise<number> {
  const runs = readSources(dir).map((r) => loadRun(r));
  log(`comparison: ${await writeComparison(runs, dir, o)}`);
  return 0;
}

/** What a folder gatherbench wrote holds: a run, an A/B job or a comparison. */
function folderKind(ref: string): 'ab' | 'comparison' | 'run' {
  if (!existsSync(ref) || !statSync(ref).isDirectory() || existsSync(path.join(ref, 'results.json'))) return 'run';
  if (existsSync(path.join(ref, 'ab.json'))) return 'ab';
  if (existsSync(path.join(ref, SOURCES))) return 'comparison';
  throw new UserError(`${ref}: not a folder gatherbench wrote (no results.json of a run, ab.json of an A/B job, or ${SOURCES} of a comparison)`);
}

export async function reportCommand(refs: string[], o: { compare?: boolean; out?: string; svg?: boolean; png?: boolean }, log: (l: string) => void): Promise<number> {
  if (refs.length === 1 && !o.compare) {
    const kind = folderKind(refs[0]);
    if (kind === 'ab') return rebuildAbJob(refs[0], log);
    if (kind === 'comparison') return rebuildComparison(refs[0], o, log);
  }
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
