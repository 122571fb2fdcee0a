/**
 * The anatomy of the CPU path's luck (#35): for each row width and thread count, the spread between fresh
 * processes set against the spread between draws inside one process, one suspect redrawn at a time. A suspect
 * whose draws spread as much as processes do carries the luck; one whose draws agree does not.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { Addon, AnatomyFactor, AnatomyResult } from '../native/addon.js';
import { spreadOf, type Spread } from './spread.js';

export interface AnatomyPlan {
  rowBytes: number[];
  threads: number[];
  batch: number;
  tableBytes: number;
  factors: AnatomyFactor[];
  draws: number;
  samples: number;
  /** fresh processes for the between-process spread (0: none) */
  processes: number;
  /** seconds between the draws of factor 'time' */
  waitSeconds: number;
}

export interface AnatomyRow {
  rowBytes: number;
  threads: number;
  /** 'processes', or the factor redrawn */
  suspect: string;
  spread: Spread;
  placements: string[];
  hugePages: string[];
  /** each draw's samples, seconds */
  seconds: number[][];
}

export interface Anatomy {
  plan: AnatomyPlan;
  thp: string;
  cpus: number;
  rows: AnatomyRow[];
}

const toRow = (rowBytes: number, threads: number, suspect: string, r: AnatomyResult): AnatomyRow => ({
  rowBytes,
  threads,
  suspect,
  spread: spreadOf(r.draws.map((d) => d.seconds)),
  placements: r.draws.map((d) => d.placement),
  hugePages: r.draws.map((d) => d.hugePages),
  seconds: r.draws.map((d) => d.seconds),
});

/** One draw of the untouched setup in a fresh process (this gatherbench, `anatomy --json -`). */
function drawInFreshProcess(plan: AnatomyPlan, rowBytes: number, threads: number): AnatomyResult {
  const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
  const args = [bin, 'anatomy', '--rows', String(rowBytes), '--threads', String(threads), '--batch', String(plan.batch), '--table', String(plan.tableBytes), '--factors', 'none', '--draws', '1', '--samples', String(plan.samples), '--processes', '0', '--json', '-'];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new UserError(`anatomy: a fresh process failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  const { rows: [one], thp, cpus } = JSON.parse(r.stdout) as Anatomy;
  return { draws: [{ seconds: one.seconds[0], placement: one.placements[0], hugePages: one.hugePages[0] }], thp, cpus };
}

export async function runAnatomy(addon: Addon, plan: AnatomyPlan, onRow: (r: AnatomyRow) => void): Promise<Omit<Anatomy, 'plan'>> {
  let thp = '', cpus = 0;
  const rows: AnatomyRow[] = [];
  for (const rowBytes of plan.rowBytes)
    for (const threads of plan.threads) {
      if (plan.processes > 0) {
        const fresh = Array.from({ length: plan.processes }, () => drawInFreshProcess(plan, rowBytes, threads));
        const merged: AnatomyResult = { draws: fresh.flatMap((f) => f.draws), thp: fresh[0].thp, cpus: fresh[0].cpus };
        const row = toRow(rowBytes, threads, 'processes', merged);
        rows.push(row);
        onRow(row);
      }
      for (const factor of plan.factors) {
        const r = await addon.cpuAnatomy({ tableBytes: plan.tableBytes, rowBytes, batch: plan.batch, threads, factor, draws: plan.draws, samples: plan.samples, waitSeconds: factor === 'time' ? plan.waitSeconds : 0 });
        thp = r.thp;
        cpus = r.cpus;
        const row = toRow(rowBytes, threads, factor, r);
        rows.push(row);
        onRow(row);
      }
    }
  return { thp, cpus, rows };
}
