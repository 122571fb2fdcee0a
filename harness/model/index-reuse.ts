/**
 * What a point's index sets repeat. A skewed batch names some rows many times, but a repeat spares the
 * link only where the SM that reads it read the row before: on an H100 a 1% hot set (90% of 65,536
 * accesses on 10,486 rows of 1 KB, each about 6 times) gathered as slowly as uniform indices, Zipf 1.3
 * (the hottest rows named thousands of times) 2.3x faster. So a row named c times is counted as fetched
 * by S(1 - (1 - 1/S)^c) of the S SMs (each SM reading its share of the batch and keeping what it read),
 * and its pages as translated once. The sets are drawn again here exactly as the sampling loop drew
 * them (set 0, the point's seeds), and for cached-zerocopy the cache is planned again as the method
 * planned it (or, in runs that record them, its set-0 misses are read from the point), so the counts are the
 * point's own, not an estimate. No GPU needed.
 */
import type { PointResult, RunResults } from '../results/model.js';
import { loadAddon, type DistributionSpec } from '../native/addon.js';
import { axisLabel } from '../scenario/axes.js';

export interface IndexReuse {
  /** distinct rows in one index set */
  distinctRows: number;
  /** rows fetched over the link when each SM keeps the rows it read (of the misses, for cached-zerocopy) */
  smFetches: number;
  /** distinct table pages those rows touch */
  distinctPages: number;
  /** cached-zerocopy: distinct rows of the set that are not in the GPU cache */
  distinctMisses?: number;
}

function smsOf(run: RunResults, p: PointResult): number {
  const devices = run.environment.cuda?.devices ?? [];
  return devices[Number(p.axes.device ?? 0)]?.sms ?? devices[0]?.sms ?? 1;
}

const memo = new Map<string, IndexReuse>();

const plans = new Map<string, { want: number; rows: BigInt64Array }>();

/**
 * The cached rows of a point, planned once for every cached point of the run with the same table, batch,
 * distribution and warm-up trace (the largest of them: plans of one trace are prefixes of each other; a plan
 * took 0.9 s on a 33M-row table, 72 of them made a report take 44 s), each point taking its prefix.
 */
function cachedRowsOf(run: RunResults, p: PointResult, dist: DistributionSpec, rows: number, batch: number, want: number): BigInt64Array {
  const addon = loadAddon().addon!;
  const traceOf = (cachedRows: number) => addon.cacheTraceLength({ batch, cachedRows, distribution: dist });
  const trace = traceOf(want);
  const key = JSON.stringify([dist, rows, batch, run.scenario.seed, trace]);
  let plan = plans.get(key);
  if (!plan || plan.want < want) {
    const peers = run.points.filter((q) => q.method === 'cached-zerocopy' && q.status === 'ok' && q.derived.tableRows === rows && Number(q.axes.batch) === batch && q.axes.distribution === p.axes.distribution);
    const wants = peers.map((q) => Number(q.details['cache rows'] ?? 0)).filter((w) => w >= want && traceOf(w) === trace);
    const most = Math.max(want, ...wants);
    plan = { want: most, rows: addon.planCache({ rows, batch, cachedRows: most, seed: run.scenario.seed, distribution: dist }).rows };
    plans.set(key, plan);
  }
  return plan.rows.subarray(0, want);
}

function distributionOf(run: RunResults, label: string): DistributionSpec | undefined {
  const axis = (run.scenario.axes as Record<string, unknown[] | undefined>).distribution ?? [{ kind: 'uniform' }];
  const found = axis.map((v) => (typeof v === 'string' ? { kind: v } : v) as DistributionSpec).find((d) => axisLabel('distribution', d) === label);
  return found ?? (label === 'uniform' ? { kind: 'uniform' } : undefined);
}

/** A cached point's set-0 misses as the method recorded them ("times:rows ..."); undefined for runs made before it did. */
function parseMissRepeats(text: string | undefined): [number, number][] | undefined {
  if (text === undefined) return undefined;
  const pairs = text.split(' ').filter(Boolean).map((t) => t.split(':').map(Number) as [number, number]);
  return pairs.every((q) => q.length === 2 && q.every((x) => Number.isInteger(x) && x > 0)) ? pairs : undefined;
}

/** Undefined where the point's indices cannot be drawn again (no addon, an unknown distribution, several GPUs). */
export function indexReuse(run: RunResults, p: PointResult, pageBytes: number): IndexReuse | undefined {
  const { addon } = loadAddon();
  const dist = p.axes.distribution === undefined ? undefined : distributionOf(run, p.axes.distribution);
  if (!addon || !dist || Number(p.axes.gpus ?? 1) !== 1) return undefined;
  const rows = p.derived.tableRows, batch = Number(p.axes.batch), rb = p.derived.rowBytes;
  const cachedRows = p.method === 'cached-zerocopy' ? Number(p.details['cache rows'] ?? 0) : 0;
  const sms = smsOf(run, p);
  const key = JSON.stringify([dist, rows, batch, rb, pageBytes, cachedRows, run.scenario.seed, sms, p.details['set-0 miss repeats']]);
  const known = memo.get(key);
  if (known) return known;
  const idx = addon.generateIndices({ rows, count: batch, seed: run.scenario.seed, distribution: dist, set: 0 }).slice().sort();
  const distinct: bigint[] = [], times: number[] = [];
  for (let i = 0; i < idx.length; i++) {
    if (i === 0 || idx[i] !== idx[i - 1]) {
      distinct.push(idx[i]);
      times.push(0);
    }
    times[times.length - 1]++;
  }
  const fetches = (c: number) => sms * (1 - Math.pow(1 - 1 / sms, c));
  // pages of each distinct row: its first to its last byte
  let pages = 0, lastPage = -1;
  for (const r of distinct) {
    const first = Math.floor((Number(r) * rb) / pageBytes), last = Math.floor((Number(r) * rb + rb - 1) / pageBytes);
    pages += last - Math.max(first, lastPage + 1) + 1;
    lastPage = Math.max(lastPage, last);
  }
  let distinctMisses: number | undefined;
  let smFetches = times.reduce((a, c) => a + fetches(c), 0);
  const recorded = p.method === 'cached-zerocopy' ? parseMissRepeats(p.details['set-0 miss repeats']) : undefined;
  if (recorded) {
    distinctMisses = recorded.reduce((a, [, n]) => a + n, 0);
    smFetches = recorded.reduce((a, [c, n]) => a + n * fetches(c), 0);
  } else if (p.method === 'cached-zerocopy') {
    const cached = new Uint8Array(rows);
    if (cachedRows > 0) for (const r of cachedRowsOf(run, p, dist, rows, batch, cachedRows)) cached[Number(r)] = 1;
    const missed = distinct.map((r, i) => (cached[Number(r)] ? 0 : times[i]));
    distinctMisses = missed.filter((c) => c > 0).length;
    smFetches = missed.reduce((a, c) => a + (c ? fetches(c) : 0), 0);
  }
  const out = { distinctRows: distinct.length, smFetches, distinctPages: pages, ...(distinctMisses !== undefined ? { distinctMisses } : {}) };
  memo.set(key, out);
  return out;
}
