/**
 * Samples telemetry on a timer while measurements run on native worker
 * threads. A tick that is still collecting when the next is due is skipped,
 * not queued, so a slow source lowers the rate instead of piling up.
 */
import { performance } from 'node:perf_hooks';
import type { Tick } from './types.js';

export type Collect = () => Promise<Omit<Tick, 't'>>;

export class Sampler {
  readonly ticks: Tick[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  skipped = 0;

  constructor(private readonly collect: Collect, readonly intervalMs: number) {}

  start(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops ticking; resolves once a tick in flight has finished. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Forgets ticks older than t (ms): a long sweep should not keep them all. */
  forgetBefore(t: number): void {
    const keep = this.ticks.findIndex((k) => k.t >= t);
    this.ticks.splice(0, keep < 0 ? this.ticks.length : keep);
  }

  async tick(): Promise<void> {
    if (this.busy) {
      this.skipped++;
      return;
    }
    const run = async () => {
      try {
        const r = await this.collect();
        this.ticks.push({ t: performance.now(), ...r });
      } catch {
        // a failing source loses this tick, not the run
      } finally {
        this.busy = undefined;
      }
    };
    this.busy = run();
    await this.busy;
  }
}
