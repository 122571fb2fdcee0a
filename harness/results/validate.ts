/**
 * results.json read back (report, compare, baseline save, history append) is
 * checked as strictly as a scenario: a hand-edited or truncated file is
 * refused with the path and the reason, never turned into a chart or a
 * verdict.
 */
import { z } from 'zod';
import { UserError } from '../errors.js';
import { formatIssue } from '../scenario/load.js';
import { RESULTS_SCHEMA, type RunResults } from './model.js';

const positive = z.number().refine((x) => Number.isFinite(x) && x > 0, 'expected a positive number');
const finite = z.number().refine(Number.isFinite, 'expected a finite number');

const summary = z.looseObject({
  n: z.number().int().positive(),
  median: positive,
  mean: positive,
  min: positive,
  max: positive,
  ciLow: finite,
  ciHigh: finite,
  // null: too few samples for an interval (JSON has no Infinity)
  relCi: z.number().nonnegative().nullable(),
});

const point = z
  .looseObject({
    id: z.string().min(1),
    method: z.string().min(1),
    status: z.enum(['ok', 'failed', 'skipped']),
    axes: z.record(z.string(), z.string()),
    derived: z.looseObject({ elemBytes: positive, rowBytes: positive, tableRows: z.number().int().nonnegative(), usefulBytes: positive }),
    device: z.string(),
    samples: z.looseObject({ total: z.array(positive) }),
    stats: summary.optional(),
    bandwidth: z.looseObject({ median: positive, ciLow: finite, ciHigh: finite }).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.axes.width !== undefined && !/^[1-9]\d*$/.test(p.axes.width)) ctx.addIssue({ code: 'custom', path: ['axes', 'width'], message: `expected a positive integer, got ${JSON.stringify(p.axes.width)}` });
    if (p.status !== 'ok') return;
    if (!p.stats) ctx.addIssue({ code: 'custom', path: ['stats'], message: 'an ok point needs its statistics' });
    if (!p.bandwidth) ctx.addIssue({ code: 'custom', path: ['bandwidth'], message: 'an ok point needs its bandwidth' });
    if (p.samples.total.length === 0) ctx.addIssue({ code: 'custom', path: ['samples', 'total'], message: 'an ok point needs its samples' });
    else if (p.stats && p.stats.n !== p.samples.total.length) ctx.addIssue({ code: 'custom', path: ['stats', 'n'], message: `says ${p.stats.n} samples, but ${p.samples.total.length} are stored` });
  });

const runSchema = z.looseObject({
  schema: z.literal(RESULTS_SCHEMA),
  tool: z.looseObject({ name: z.literal('gatherbench'), version: z.string() }),
  scenario: z.looseObject({ name: z.string(), sampling: z.looseObject({}), telemetry: z.looseObject({}) }),
  backend: z.string(),
  status: z.enum(['running', 'complete', 'interrupted']),
  startedAt: z.string(),
  environment: z.looseObject({ host: z.looseObject({}), cpu: z.looseObject({}) }),
  unavailable: z.array(z.looseObject({ method: z.string(), reason: z.string() })),
  points: z.array(point),
});

export function validateRun(data: unknown, shown: string): RunResults {
  const r = runSchema.safeParse(data, { reportInput: true });
  if (!r.success) throw new UserError(`${shown}: ${formatIssue(r.error.issues)}`);
  return r.data as unknown as RunResults;
}
