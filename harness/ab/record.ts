/**
 * ab.json, an A/B job's record: the comparison, the rounds and where their runs lie, the stop, the noise and
 * each point's paired ratios; what `gatherbench report <job folder>` rebuilds the job's report from.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadRun } from '../results/store.js';
import type { RunComparison } from '../compare/verdict.js';
import type { RoundRecord } from './job.js';
import type { MethodNoise } from './noise.js';
import { pairPoints, type PairedPoint, type Round } from './paired.js';
import type { AbReport } from '../../reports/ab.js';

export interface AbRecord extends RunComparison {
  scenario: string;
  rounds: RoundRecord[];
  stop: { after: number; reason: string; looks: number; hopeless: string[] };
  noise: MethodNoise[];
  /** each point's paired ratios (jobs before 2026-12-08 lack them: rebuilt from the rounds' runs) */
  paired?: PairedPoint[];
}

export function abReportOf(r: AbRecord, paired: PairedPoint[] = r.paired ?? []): AbReport {
  return {
    baseline: r.baseline.label,
    candidate: r.candidate.label,
    scenario: r.scenario,
    threshold: r.options.threshold,
    alpha: r.options.alpha,
    stop: `${r.stop.reason} after ${r.stop.after} round(s)`,
    rounds: r.rounds,
    points: r.points,
    paired,
    noise: r.noise,
  };
}

/** A round's run as recorded, or where it lies under the job folder now (the job moved or was copied). */
function roundRun(jobDir: string, recorded: string): string | undefined {
  const moved = path.join(jobDir, path.basename(path.dirname(recorded)), path.basename(recorded));
  return [recorded, moved].find((d) => existsSync(path.join(d, 'results.json')));
}

/** The job's record and paired ratios; `missing` says why there are none (its rounds' runs were not kept). */
export function loadAbJob(dir: string): { record: AbRecord; paired: PairedPoint[]; missing?: string } {
  const file = path.join(dir, 'ab.json');
  let record: AbRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not a readable A/B job (${(e as Error).message.slice(0, 120)})`);
  }
  if (!Array.isArray(record?.points) || !Array.isArray(record?.rounds) || !record?.options) throw new UserError(`${file}: not an A/B job's record`);
  if (record.paired) return { record, paired: record.paired };
  const found = record.rounds.map((x) => [roundRun(dir, x.a.dir), roundRun(dir, x.b.dir)]);
  const gone = found.flat().filter((x) => x === undefined).length;
  if (gone) return { record, paired: [], missing: `${gone} of the rounds' runs are not kept here: the report shows each point's estimate and interval without the rounds' ratios` };
  return { record, paired: pairPoints(found.map(([a, b]): Round => ({ a: loadRun(a!).run, b: loadRun(b!).run }))) };
}
