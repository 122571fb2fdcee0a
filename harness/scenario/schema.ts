/** The shape of a scenario file (scenarios/*.yaml), validated with zod. */
import { z } from 'zod';
import { AXES, AXIS_NAMES, type AxisName } from './axes.js';
import { METHOD_NAMES } from '../methods.js';
import { parseSeconds } from '../units.js';

const axisLists = Object.fromEntries(
  AXIS_NAMES.map((name) => [name, z.array(AXES[name].schema as z.ZodType).min(1, 'expected at least one value').optional()]),
) as { [K in AxisName]: z.ZodOptional<z.ZodArray<(typeof AXES)[K]['schema']>> };

/** A duration: "2s", "500ms" or seconds; zero only where it means "off" ("0", "0ms" and 0 alike). */
const durationOf = (zeroOk: boolean) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    try {
      const s = parseSeconds(v);
      if (s > 0 || (zeroOk && s === 0)) return s;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: `expected a duration like "2s" or "500ms"${zeroOk ? ' (or 0)' : ''}, got ${JSON.stringify(v)}` });
    return z.NEVER;
  });
const duration = durationOf(false);
const durationOrZero = durationOf(true);

export const telemetrySchema = z
  .object({
    /** sampler interval */
    interval: duration.default(0.1),
    /** per point: the method runs back to back this long, unverified, while telemetry is read; 0 = off */
    window: durationOrZero.default(0.5),
    /** idle window at the start of the run, for idle power; 0 = skip */
    idle: durationOrZero.default(1),
    /**
     * every point's window the whole `window` (not a quarter of its timed work), for an energy reading of each; absent
     * (false) leaves a scenario resolved as older builds resolve it, which `ab` requires of both sides
     */
    energy: z.boolean().optional(),
  })
  .strict();

/** Draws of a CPU-path point by default: measured, docs/methodology.md. */
export const DEFAULT_DRAWS = 12;

export const samplingSchema = z
  .object({
    /** untimed, verified runs before the first sample */
    warmup: z.number().int().nonnegative().default(3),
    minSamples: z.number().int().min(3, 'expected at least 3').default(10),
    maxSamples: z.number().int().positive().default(500),
    /** wall-clock budget per point and method, verification included */
    budget: duration.default(2),
    /** stop once the 95% CI of the median is within +-precision of it */
    precision: z.number().gt(0).lt(1).default(0.02),
    /** timed work a point accumulates before precision may stop it (nvbench's --min-time); 0 = none */
    minTime: durationOrZero.default(0),
    /** evict GPU caches and translation state before each timed sample (cold); false: warm samples */
    flush: z.boolean().default(true),
    /**
     * Where the CPU reads the table (the CPU path): the point's budget and samples split into this many
     * visits, each a new draw of its luck (new pool threads, another moment of the host), interleaved with
     * the other such points; its figure is the draws' geometric mean (docs/methodology.md, "The CPU path's luck")
     */
    draws: z.number().int().min(1).max(64).default(DEFAULT_DRAWS),
  })
  .strict()
  .refine((s) => s.maxSamples >= s.minSamples, { message: 'maxSamples must be >= minSamples' });

const excludeRule = z.partialRecord(
  z.enum(['method', ...AXIS_NAMES] as [string, ...string[]]),
  z.union([z.unknown().array(), z.unknown()]),
);

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-"'),
    description: z.string().default(''),
    methods: z.union([z.literal('all'), z.array(z.enum(METHOD_NAMES as [string, ...string[]])).min(1)]).default('all'),
    seed: z.number().int().nonnegative().default(1),
    axes: z.object(axisLists).strict().default({}),
    exclude: z.array(excludeRule).default([]),
    sampling: samplingSchema.default({ warmup: 3, minSamples: 10, maxSamples: 500, budget: 2, precision: 0.02, minTime: 0, flush: true, draws: DEFAULT_DRAWS }),
    telemetry: telemetrySchema.default({ interval: 0.1, window: 0.5, idle: 1 }),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Sampling = z.output<typeof samplingSchema>;
