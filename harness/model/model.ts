/**
 * The explanatory model. For every point it predicts the PCIe read requests,
 * bytes on the wire and distinct pages a gather touches (no GPU needed), and,
 * from a run's own measurements, fits a few machine constants per family of
 * methods (link bandwidth, per-request cost, translation cost and reach,
 * CPU gather rate, HBM bandwidth) by non-negative least squares on relative
 * error. Points the fitted model misses by more than 20% are flagged: there,
 * something the model does not know about is going on.
 */
import { copyCeilingGBps, unfitConstants } from './physics.js';
import type { PointResult, RunResults } from '../results/model.js';
import { isContiguous } from '../native/facts.js';
import { distinctPages, meanRowAccess } from './access.js';
import { nnls } from './nnls.js';
import { indexReuse, type IndexReuse } from './index-reuse.js';
import { median } from '../stats/quantile.js';

export const FLAG_ERROR = 0.2;

export interface Counts {
  /** PCIe read requests (zero-copy paths; the misses of cached-zerocopy), memory requests (device-resident), or copies (copy engines) per gather */
  requests?: number;
  /** cached-zerocopy: bytes read from the GPU cache per gather */
  cachedBytes?: number;
  /** bytes of rows the batch names again where the SM reading them has them already: not over the link */
  repeatBytes?: number;
  /** bytes fetched per gather (32-byte sector granularity) */
  bytesOnWire?: number;
  /** useful bytes / bytes on the wire */
  wireEfficiency?: number;
  /** expected distinct host pages touched per gather */
  pagesTouched?: number;
  pageBytes: number;
}

export interface Workload {
  method: string;
  rowBytes: number;
  elemBytes: number;
  batch: number;
  tableBytes: number;
  vectorBytes: number;
  hugePages: boolean;
  contiguous: boolean;
  /** cached-zerocopy: the share of rows found in the GPU cache (measured; else the cached share, exact for uniform indices) */
  hitRate?: number;
  /** the point's own index set drawn again (index-reuse.ts): repeats cross the link once */
  reuse?: IndexReuse;
}

const ALIGNED = new Set(['zerocopy-aligned', 'device-resident', 'cached-zerocopy', 'zerocopy-sorted']);
const KERNEL = new Set(['zerocopy-naive', 'zerocopy-aligned', 'device-resident', 'cached-zerocopy', 'zerocopy-sorted']);
const COPY_ENGINE = new Set(['copy-engine-rows', 'copy-engine-batch']);

export function predictCounts(w: Workload): Counts {
  const pageBytes = w.hugePages ? 2 ** 21 : 4096;
  const useful = w.batch * w.rowBytes;
  const tablePages = Math.ceil(w.tableBytes / pageBytes);
  const pagesTouched = w.contiguous ? Math.ceil(useful / pageBytes) + 1 : w.reuse?.distinctPages ?? distinctPages(w.batch, tablePages, Math.ceil(w.rowBytes / pageBytes) + (w.rowBytes % pageBytes ? 0.5 : 0));
  // One DMA copy per row (random rows are almost never adjacent, so merging rarely helps).
  if (COPY_ENGINE.has(w.method)) return { requests: w.batch, bytesOnWire: useful, wireEfficiency: 1, pagesTouched, pageBytes };
  if (!KERNEL.has(w.method)) return { pagesTouched, pageBytes, bytesOnWire: w.method.endsWith('memcpy') || w.method === 'cpu-gather-memcpy' ? useful : undefined, wireEfficiency: 1 };
  const a = meanRowAccess(w.rowBytes, w.vectorBytes, ALIGNED.has(w.method));
  // cached-zerocopy: hits read GPU memory, only the misses cross the link; a row the batch repeats crosses once
  const miss = w.method === 'cached-zerocopy' ? 1 - (w.hitRate ?? 0) : 1;
  const cached = w.method === 'cached-zerocopy';
  const fetched = w.reuse?.smFetches ?? w.batch * miss;
  const bytesOnWire = a.sectors * 32 * fetched;
  // translations: the distinct pages of the rows fetched
  const pages = cached && w.reuse?.distinctMisses !== undefined && w.reuse.distinctRows ? (pagesTouched * w.reuse.distinctMisses) / w.reuse.distinctRows : pagesTouched * (cached && !w.reuse ? miss : 1);
  return {
    requests: a.requests * fetched, bytesOnWire, wireEfficiency: bytesOnWire ? (fetched * w.rowBytes) / bytesOnWire : 1, pagesTouched: pages, pageBytes,
    repeatBytes: Math.max(0, w.batch * miss - fetched) * w.rowBytes,
    ...(cached ? { cachedBytes: useful * (1 - miss) } : {}),
  };
}

/** "0.05" -> 0.05; a size label ("2GiB") gives no share without the table: 0. */
function cacheShareOf(label: string | undefined): number {
  const x = Number(label);
  return Number.isFinite(x) ? x : 0;
}

/** run: draw the point's index set again to count its repeats (model runs do; one-off predictions need not) */
export function workloadOf(p: PointResult, run?: RunResults): Workload {
  // what the kernel loaded, where the run says (zerocopy-sorted picks its own width), else what the axes asked
  const loaded = /(\d+) B$/.exec(p.details.loads ?? '');
  const vector = loaded ? Number(loaded[1]) : p.axes.vector && p.axes.vector !== 'elem' ? Number(p.axes.vector) : p.derived.elemBytes;
  const hugePages = /hugepage: \w+ [1-9]\d* of/.test(p.details.table ?? '');
  const reuse = run && KERNEL.has(p.method) ? indexReuse(run, p, hugePages ? 2 ** 21 : 4096) : undefined;
  return {
    method: p.method,
    rowBytes: p.derived.rowBytes,
    elemBytes: p.derived.elemBytes,
    batch: Number(p.axes.batch),
    tableBytes: p.derived.tableBytes,
    vectorBytes: vector,
    hugePages,
    contiguous: isContiguous(p.method),
    ...(p.method === 'cached-zerocopy' ? { hitRate: Number(p.details['cache hit rate'] ?? cacheShareOf(p.axes.cache)) } : {}),
    ...(reuse ? { reuse } : {}),
  };
}

/** A family of methods explained by one set of constants. */
interface Family {
  name: string;
  methods: string[];
  /** feature vector of a point (seconds = features . beta); reach only matters for zero-copy */
  features: (w: Workload, c: Counts, reach: number) => number[];
  names: string[];
  /** readable constants from the fitted coefficients */
  describe: (beta: number[], reach: number) => Record<string, number>;
  reaches?: number[];
  /**
   * Groups of features whose costs overlap rather than add: the point takes the longest group (the link
   * or address translation, whichever binds), the features outside every group add to it.
   */
  overlap?: number[][];
}

const GB = 1e9;
const REACHES = [2 ** 26, 2 ** 27, 2 ** 28, 2 ** 29, 2 ** 30, 2 ** 31, 2 ** 32, 2 ** 33, 2 ** 34, 2 ** 36];

const FAMILIES: Family[] = [
  {
    name: 'copy',
    methods: ['pinned-memcpy'],
    features: (w) => [1, w.batch * w.rowBytes],
    names: ['fixed', 'per byte'],
    describe: (b) => ({ 'fixed cost (µs)': b[0] * 1e6, 'link bandwidth (GB/s)': b[1] > 0 ? 1 / b[1] / GB : Infinity }),
  },
  {
    name: 'zero-copy',
    methods: ['zerocopy-naive', 'zerocopy-aligned'],
    features: (w, c, reach) => [1, c.bytesOnWire!, c.requests!, w.batch, c.pagesTouched! * Math.max(0, 1 - reach / w.tableBytes), c.repeatBytes ?? 0],
    names: ['fixed', 'per wire byte', 'per request', 'per row', 'per translation miss', 'per repeated byte'],
    // a gather is bound by the link or by translation, whichever is slower: their costs overlap
    overlap: [[1, 2, 3], [4]],
    describe: (b, reach) => ({
      'fixed cost (µs)': b[0] * 1e6,
      'link bandwidth seen by zero-copy (GB/s)': b[1] > 0 ? 1 / b[1] / GB : Infinity,
      'per-request cost (ns)': b[2] * 1e9,
      'per-row cost (ns)': b[3] * 1e9,
      'translation miss cost, per distinct page (ns)': b[4] * 1e9,
      'bandwidth of rows read again, from on-chip caches (GB/s)': b[5] > 0 ? 1 / b[5] / GB : Infinity,
      ...(reach > 0 ? { 'translation reach (GiB)': reach / 2 ** 30 } : {}),
    }),
    reaches: REACHES,
  },
  {
    name: 'device-resident',
    methods: ['device-resident'],
    features: (w, c) => [1, c.bytesOnWire!, w.batch],
    names: ['fixed', 'per byte', 'per row'],
    describe: (b) => ({ 'fixed cost (µs)': b[0] * 1e6, 'HBM gather bandwidth (GB/s)': b[1] > 0 ? 1 / b[1] / GB : Infinity, 'per-row cost (ns)': b[2] * 1e9 }),
  },
  {
    // sorted indices walk the table in order: translation misses fall out, a sort per row comes in
    name: 'zero-copy, sorted',
    methods: ['zerocopy-sorted'],
    features: (w, c) => [1, c.bytesOnWire!, c.requests!, w.batch],
    names: ['fixed', 'per wire byte', 'per request', 'per row (sort included)'],
    describe: (b) => ({ 'fixed cost (µs)': b[0] * 1e6, 'link bandwidth (GB/s)': b[1] > 0 ? 1 / b[1] / GB : Infinity, 'per-request cost (ns)': b[2] * 1e9, 'per-row cost, sort included (ns)': b[3] * 1e9 }),
  },
  {
    name: 'copy engine, a call per row',
    methods: ['copy-engine-rows'],
    features: (w, c) => [1, c.requests!, w.batch * w.rowBytes],
    names: ['fixed', 'per copy', 'per byte'],
    describe: (b) => ({ 'fixed cost (µs)': b[0] * 1e6, 'per-copy cost (ns)': b[1] * 1e9, 'link bandwidth (GB/s)': b[2] > 0 ? 1 / b[2] / GB : Infinity }),
  },
  {
    name: 'copy engine, one batch call',
    methods: ['copy-engine-batch'],
    features: (w, c) => [1, c.requests!, w.batch * w.rowBytes],
    names: ['fixed', 'per copy', 'per byte'],
    describe: (b) => ({ 'fixed cost (µs)': b[0] * 1e6, 'per-copy cost (ns)': b[1] * 1e9, 'link bandwidth (GB/s)': b[2] > 0 ? 1 / b[2] / GB : Infinity }),
  },
  {
    // hit-rate mixing: misses cost what zero-copy costs, hits what device memory costs
    name: 'cached zero-copy',
    methods: ['cached-zerocopy'],
    features: (w, c) => [1, c.bytesOnWire!, c.requests!, w.batch, c.cachedBytes ?? 0, c.pagesTouched!, c.repeatBytes ?? 0],
    names: ['fixed', 'per wire byte', 'per request', 'per row', 'per cached byte', 'per page of the misses', 'per repeated byte of the misses'],
    overlap: [[1, 2, 3], [5]],
    describe: (b) => ({
      'fixed cost (µs)': b[0] * 1e6,
      'link bandwidth seen by the misses (GB/s)': b[1] > 0 ? 1 / b[1] / GB : Infinity,
      'per-request cost (ns)': b[2] * 1e9,
      'per-row cost (ns)': b[3] * 1e9,
      'cache read bandwidth (GB/s)': b[4] > 0 ? 1 / b[4] / GB : Infinity,
      'translation cost, per distinct page of the misses (ns)': b[5] * 1e9,
      'bandwidth of misses read again, from on-chip caches (GB/s)': b[6] > 0 ? 1 / b[6] / GB : Infinity,
    }),
  },
  {
    name: 'cpu path',
    methods: ['cpu-gather-memcpy'],
    features: (w) => [1, w.batch, w.batch * w.rowBytes],
    names: ['fixed', 'per row', 'per byte'],
    describe: (b) => ({ 'fixed cost (µs)': b[0] * 1e6, 'per-row cost (ns)': b[1] * 1e9, 'gather + copy bandwidth (GB/s)': b[2] > 0 ? 1 / b[2] / GB : Infinity }),
  },
  {
    name: 'host path',
    methods: ['host-gather-copy', 'host-memcpy'],
    features: (w) => [1, w.contiguous ? 0 : w.batch, w.batch * w.rowBytes],
    names: ['fixed', 'per row', 'per byte'],
    describe: (b) => ({ 'fixed cost (µs)': b[0] * 1e6, 'per-row cost (ns)': b[1] * 1e9, 'host copy bandwidth (GB/s)': b[2] > 0 ? 1 / b[2] / GB : Infinity }),
  },
];

export interface FamilyFit {
  family: string;
  methods: string[];
  points: number;
  constants: Record<string, number>;
  /** median |predicted - measured| / measured over the family's points */
  medianAbsError: number;
  /** constants that break physics (physics.ts), each with why: shown as unfit, not as findings */
  unfit?: Record<string, string>;
}

export interface PointModel {
  id: string;
  method: string;
  counts: Counts;
  measured?: number;
  predicted?: number;
  error?: number;
  flagged: boolean;
}

export interface RunModel {
  fits: FamilyFit[];
  points: PointModel[];
}


/** features . beta, where each overlapping group contributes only if it is the longest */
export function predict(x: number[], beta: number[], overlap: number[][] = []): number {
  const grouped = new Set(overlap.flat());
  let t = x.reduce((s, v, j) => (grouped.has(j) ? s : s + v * beta[j]), 0);
  if (overlap.length) t += Math.max(...overlap.map((g) => g.reduce((s, j) => s + x[j] * beta[j], 0)));
  return t;
}

/**
 * Least squares of x . beta = 1 (rows already divided by the measured time), beta >= 0, where the
 * overlapping groups take a max: alternate between choosing each point's binding group under the current
 * beta and a non-negative fit with the other groups' features dropped for that point, keeping the beta
 * whose max-model error is least. Without groups, one plain fit.
 */
export function fitOverlapping(x: number[][], overlap?: number[][]): { beta: number[]; sse: number } {
  const plain = nnls(x, x.map(() => 1));
  if (!overlap?.length) return plain;
  const sseOf = (beta: number[]) => x.reduce((s, r) => s + (predict(r, beta, overlap) - 1) ** 2, 0);
  let best = { beta: plain.beta, sse: sseOf(plain.beta) };
  let beta = plain.beta;
  for (let it = 0; it < 20; it++) {
    const masked = x.map((r) => {
      const g = overlap.map((grp) => grp.reduce((s, j) => s + r[j] * beta[j], 0));
      const bind = g.indexOf(Math.max(...g));
      const drop = new Set(overlap.filter((_, k) => k !== bind).flat());
      return r.map((v, j) => (drop.has(j) ? 0 : v));
    });
    beta = nnls(masked, x.map(() => 1)).beta;
    const sse = sseOf(beta);
    if (sse < best.sse - 1e-12) best = { beta, sse };
    else break;
  }
  return best;
}

export function modelRun(run: RunResults): RunModel {
  const measured = run.points.filter((p) => p.status === 'ok' && p.stats);
  const workloads = new Map(run.points.map((p) => [p.id, workloadOf(p, run)]));
  const points = new Map<string, PointModel>(run.points.map((p) => [p.id, { id: p.id, method: p.method, counts: predictCounts(workloads.get(p.id)!), measured: p.stats?.median, flagged: false }]));
  const fits: FamilyFit[] = [];
  const ceiling = copyCeilingGBps(run);
  for (const f of FAMILIES) {
    const ps = measured.filter((p) => f.methods.includes(p.method));
    if (ps.length < f.names.length + 1) continue;
    const ws = ps.map((p) => workloads.get(p.id)!);
    let best: { beta: number[]; sse: number; reach: number } | undefined;
    // Translation reach is only identifiable when table sizes differ enough.
    const sizes = ws.map((w) => w.tableBytes);
    // One table size: every distinct page may miss (reach 0); the fit says what a miss costs.
    const reaches = f.reaches ? (Math.max(...sizes) >= 4 * Math.min(...sizes) ? f.reaches : [0]) : [Infinity];
    for (const reach of reaches) {
      // relative error: divide each observation (and its features) by the measured time
      const x = ps.map((p, i) => f.features(ws[i], points.get(p.id)!.counts, reach).map((v) => v / p.stats!.median));
      const r = fitOverlapping(x, f.overlap);
      if (!best || r.sse < best.sse - 1e-12) best = { ...r, reach };
    }
    const errors: number[] = [];
    ps.forEach((p, i) => {
      const pm = points.get(p.id)!;
      pm.predicted = predict(f.features(ws[i], pm.counts, best!.reach), best!.beta, f.overlap);
      pm.error = (pm.predicted - p.stats!.median) / p.stats!.median;
      pm.flagged = Math.abs(pm.error) > FLAG_ERROR;
      errors.push(Math.abs(pm.error));
    });
    const constants = f.describe(best!.beta, best!.reach);
    const unfit = unfitConstants(constants, ceiling);
    fits.push({ family: f.name, methods: f.methods, points: ps.length, constants, medianAbsError: median(errors), ...(Object.keys(unfit).length ? { unfit } : {}) });
  }
  return { fits, points: [...points.values()] };
}
