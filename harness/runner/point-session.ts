/**
 * One point from its prepared bench to its result: visits of sampling (one for most points; several, each a
 * new draw, for the CPU path: harness/runner/draws.ts), then the statistics, a telemetry window and the
 * result. Every part of the point's own wall time is accounted for in its timing, also where its visits lie
 * between other points' visits.
 */
import { performance } from 'node:perf_hooks';
import { nativeErrorCode, type Addon, type NativeBench, type NativeTable, type PrepareOptions } from '../native/addon.js';
import type { Case } from '../scenario/expand.js';
import { PHASES, type Phase, type PointResult } from '../results/model.js';
import { closeTiming, emptyTiming, type Timing } from '../results/timing.js';
import { summarize } from '../stats/summary.js';
import { drawnSummary } from '../stats/draws.js';
import { nextChunk, stopReason, type StopReason } from './stopping.js';
import { methodSpec } from '../methods.js';
import { hostSnapshot, interferenceBetween } from '../telemetry/host-interference.js';
import { basePoint, prepareOptions, windowSeconds, type MeasureOptions } from './point-options.js';

const SKIP_CODES = new Set(['OOM', 'UNSUPPORTED', 'BAD_ARGUMENT']);
/** The parts of a chunk's wall time the addon (or a peer worker) accounts for. */
const CHUNK_PARTS = ['timed', 'setup', 'warmup', 'verify', 'flush', 'launch'] as const;
/** The fewest samples a visit takes: a median of fewer says little about its draw. */
export const MIN_VISIT_SAMPLES = 3;

/** A visit's share of the point's sampling: its time budget and its samples. */
export interface VisitShare {
  budgetSeconds: number;
  maxSamples: number;
  minSamples: number;
}

export class PointSession {
  private readonly timing: Timing = emptyTiming();
  private readonly total: number[] = [];
  private readonly series = Object.fromEntries(PHASES.map((k) => [k, [] as number[]])) as Record<Phase, number[]>;
  /** each visit's median: the draws of the point's luck */
  private readonly visitMedians: number[] = [];
  private rowsVerified = 0;
  private checksums = 0;
  private mode = '';
  private samplingSeconds = 0;
  private ownSeconds = 0;
  private readonly hostBefore = hostSnapshot();
  private failed?: PointResult;
  private lastStop: StopReason = 'budget';

  private constructor(
    private readonly c: Case,
    private readonly o: MeasureOptions,
    private readonly bench: NativeBench,
    private readonly point: PointResult,
  ) {}

  /** The point's bench, or its result where it cannot be prepared (skipped or failed). */
  static async open(addon: Addon, table: NativeTable, c: Case, o: MeasureOptions): Promise<PointSession | PointResult> {
    const t0 = performance.now();
    const point = basePoint(c, o.device);
    point.details.table = table.info().obtained;
    let bench: NativeBench;
    try {
      const options: PrepareOptions = prepareOptions(c, o.seed, o.sampling.flush);
      bench = await (o.prepare ? o.prepare(table, options) : addon.prepare(table, options));
    } catch (e) {
      const code = nativeErrorCode(e);
      if (code === undefined) throw e;
      return { ...point, status: SKIP_CODES.has(code) ? 'skipped' : 'failed', reason: (e as Error).message };
    }
    const s = new PointSession(c, o, bench, point);
    s.timing.setupSeconds += (performance.now() - t0) / 1e3;
    s.ownSeconds += (performance.now() - t0) / 1e3;
    return s;
  }

  /** A new draw before a visit: the bench's CPU threads made anew. */
  redraw(): void {
    const t0 = performance.now();
    this.bench.redraw?.();
    this.timing.setupSeconds += (performance.now() - t0) / 1e3;
    this.ownSeconds += (performance.now() - t0) / 1e3;
  }

  /**
   * Samples until the point's stopping rule says enough (no share), or until this visit's share is spent.
   * False once the point has failed or the run was interrupted.
   */
  async visit(share?: VisitShare): Promise<boolean> {
    if (this.failed) return false;
    const t0 = performance.now();
    const since = (t: number) => (performance.now() - t) / 1e3;
    const first = this.total.length;
    const sampling = share ? { ...this.o.sampling, budget: share.budgetSeconds, maxSamples: share.maxSamples, minSamples: share.minSamples, precision: 0, minTime: 0 } : this.o.sampling;
    try {
      for (;;) {
        if (this.o.signal.aborted) return false;
        const have = this.total.length - first;
        const chunk = await this.bench.run({ firstSample: this.total.length, samples: nextChunk(have, since(t0), sampling, this.timing.timedSeconds), warmup: this.total.length === 0 ? this.o.sampling.warmup : 0 });
        for (const k of CHUNK_PARTS) this.timing[`${k}Seconds`] += chunk.time[k];
        this.rowsVerified += chunk.verification.rowsVerified;
        this.checksums += chunk.checksums;
        this.mode = chunk.verification.mode || this.mode;
        if (!chunk.verification.ok) {
          this.failed = {
            ...this.point,
            status: 'failed',
            reason: `verification failed: ${chunk.verification.detail}`,
            verification: { mode: this.mode, rowsVerified: this.rowsVerified, badRow: chunk.verification.badRow, checkedSamples: this.checksums },
          };
          return false;
        }
        this.total.push(...chunk.total);
        for (const k of PHASES) this.series[k].push(...(chunk[k] ?? chunk.total.map(() => NaN)));
        const reason = stopReason(this.total.slice(first), since(t0), sampling);
        if (!reason) continue;
        this.lastStop = reason;
        this.visitMedians.push(summarize(this.total.slice(first)).median);
        return true;
      }
    } catch (e) {
      if (nativeErrorCode(e) === undefined) throw e;
      this.failed = { ...this.point, status: 'failed', reason: (e as Error).message };
      return false;
    } finally {
      this.samplingSeconds += since(t0);
      this.ownSeconds += since(t0);
    }
  }

  /** The point's result (undefined where the run was interrupted before it finished), its bench closed. */
  async close(): Promise<PointResult | undefined> {
    const t0 = performance.now();
    const since = (t: number) => (performance.now() - t) / 1e3;
    const finish = (p: PointResult): PointResult => ({ ...p, timing: closeTiming(this.timing, this.ownSeconds + since(t0)) });
    try {
      if (this.failed) return finish(this.failed);
      if (this.o.signal.aborted || !this.visitMedians.length) return undefined;
      const c = this.c, o = this.o;
      const host = interferenceBetween(this.hostBefore, hostSnapshot());
      let t = performance.now();
      const launch = (await this.bench.launchLatency()) ?? undefined;
      this.timing.setupSeconds += since(t);
      const drawn = this.visitMedians.length > 1;
      const stats = drawn ? drawnSummary(this.visitMedians, this.total) : summarize(this.total);
      const gb = c.derived.usefulBytes / 1e9;
      const phases: PointResult['phases'] = {};
      const kept = PHASES.filter((k) => this.series[k].some(Number.isFinite));
      for (const k of kept) phases[k] = summarize(this.series[k]);
      const details = Object.fromEntries(Object.entries(this.bench.details()).filter(([k]) => k !== 'contiguous').map(([k, v]) => [k, String(v)]));
      let telemetry;
      const window = o.telemetry ? windowSeconds(this.timing.timedSeconds, o.telemetry.config.windowSeconds, o.telemetry.config.energy) : 0;
      if (o.telemetry && window > 0 && !o.signal.aborted) {
        t = performance.now();
        const start = await o.telemetry.begin();
        const soak = await this.bench.soak({ seconds: window });
        telemetry = await o.telemetry.end(start, { uuids: o.gpuUuids, soak, usefulBytes: c.derived.usefulBytes, overPcie: methodSpec(c.method)?.source === 'pcie' });
        this.timing.telemetrySeconds += since(t);
      }
      return finish({
        ...this.point,
        status: 'ok',
        stats,
        phases,
        bandwidth: { median: gb / stats.median, ciLow: gb / stats.ciHigh, ciHigh: gb / stats.ciLow },
        // rows of every GPU (useful bytes count each GPU's batch)
        rowsPerSecond: c.derived.usefulBytes / c.derived.rowBytes / stats.median,
        samples: { total: this.total, ...Object.fromEntries(kept.map((k) => [k, this.series[k]])) },
        ...(drawn ? { draws: { medians: this.visitMedians } } : {}),
        verification: { mode: this.mode, rowsVerified: this.rowsVerified, checkedSamples: this.checksums },
        stop: { reason: drawn ? 'draws' : this.lastStop, samples: this.total.length, seconds: this.samplingSeconds },
        details: { ...this.point.details, ...details, flush: o.sampling.flush ? 'cold: GPU caches and translation flushed before each sample' : 'warm: no flush between samples (sampling.flush: false)' },
        ...(launch ? { launch } : {}),
        ...(telemetry ? { telemetry } : {}),
        ...(Object.keys(host).length ? { host } : {}),
      });
    } catch (e) {
      if (nativeErrorCode(e) === undefined) throw e;
      return finish({ ...this.point, status: 'failed', reason: (e as Error).message });
    } finally {
      this.ownSeconds += since(t0);
      this.bench.close();
    }
  }
}
