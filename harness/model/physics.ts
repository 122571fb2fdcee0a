/**
 * A fitted constant the physics of the machine rules out is a failed fit, not a finding: a link faster than
 * the copy the same run measured over it, an on-chip cache slower than the link whose misses it saves.
 * Such constants are shown as unfit, with the reason.
 */
import type { RunResults } from '../results/model.js';

/** Room for the copy ceiling's own noise before a faster link counts as impossible. */
const CEILING_SLACK = 1.05;

/** The fastest pinned cudaMemcpy the run measured: what a link can carry, GB/s (undefined where not measured). */
export function copyCeilingGBps(run: RunResults): number | undefined {
  const bw = run.points.filter((p) => p.method === 'pinned-memcpy' && p.status === 'ok' && p.bandwidth).map((p) => p.bandwidth!.median);
  return bw.length ? Math.max(...bw) : undefined;
}

/** The constants of one family's fit that break physics, each with why. */
export function unfitConstants(constants: Record<string, number>, ceilingGBps: number | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const links = Object.entries(constants).filter(([k]) => /link bandwidth/.test(k));
  for (const [k, v] of links)
    if (ceilingGBps !== undefined && Number.isFinite(v) && v > ceilingGBps * CEILING_SLACK) out[k] = `faster than the ${ceilingGBps.toFixed(1)} GB/s copy this run measured over the same link`;
  const link = links.map(([, v]) => v).find(Number.isFinite);
  for (const [k, v] of Object.entries(constants).filter(([k]) => /on-chip caches/.test(k)))
    if (link !== undefined && Number.isFinite(v) && v < link) out[k] = `an on-chip cache slower than the ${link.toFixed(1)} GB/s link it saves reads over`;
  return out;
}
