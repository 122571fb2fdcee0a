/** Progress of a run: a bar with ETA on a terminal, one plain line per point otherwise (CI logs). */
import cliProgress from 'cli-progress';
import type { Case } from '../scenario/expand.js';
import type { PointResult } from '../results/model.js';
import { ciLabel, hasCi } from '../stats/ci-label.js';
import { drawSpread } from '../stats/draws.js';

export interface Progress {
  start(total: number): void;
  caseDone(c: Case, p: PointResult): void;
  stop(): void;
}

export function describePoint(p: PointResult): string {
  if (p.status !== 'ok') return `${p.status}: ${p.reason ?? ''}`;
  const bw = p.bandwidth!.median;
  if (p.draws && p.draws.medians.length > 1)
    return `${bw.toFixed(2)} GB/s ${ciLabel(p.stats)} over ${p.draws.medians.length} draws (spread ${(drawSpread(p.draws.medians) * 100).toFixed(1)}% between them, ${p.stats!.n} samples)`;
  // "CI n/a (3 samples)" already says how many
  const n = hasCi(p.stats) ? `${p.stats!.n} samples, ` : '';
  return `${bw.toFixed(2)} GB/s ${ciLabel(p.stats)} (${n}stopped on ${p.stop!.reason})`;
}

export class PlainProgress implements Progress {
  private done = 0;
  private total = 0;
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}
  start(total: number): void {
    this.total = total;
  }
  caseDone(c: Case, p: PointResult): void {
    this.done++;
    const w = String(this.total).length;
    this.write(`[${String(this.done).padStart(w)}/${this.total}] ${c.id}: ${describePoint(p)}`);
  }
  stop(): void {}
}

export class BarProgress implements Progress {
  private bar = new cliProgress.SingleBar(
    { format: '{bar} {value}/{total} points | ETA {eta_formatted} | {last}', hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  start(total: number): void {
    this.bar.start(total, 0, { last: '' });
  }
  caseDone(c: Case, p: PointResult): void {
    const last = `${c.method} w=${c.values.width} b=${c.values.batch}: ${p.status === 'ok' ? `${p.bandwidth!.median.toFixed(1)} GB/s` : p.status}`;
    this.bar.increment(1, { last });
  }
  stop(): void {
    this.bar.stop();
  }
}

export function makeProgress(): Progress {
  return process.stdout.isTTY && !process.env.CI ? new BarProgress() : new PlainProgress();
}
