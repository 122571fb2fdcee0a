/** `gatherbench compare`: the regression gate. Exit 1 on any regression, 0 otherwise, 2 on bad input. */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { loadRun } from '../results/store.js';
import type { RunResults } from '../results/model.js';
import { describeMachine, machineOf } from '../compare/machine.js';
import { resolveBaseline } from '../compare/baselines.js';
import { DEFAULT_COMPARE, compareRunPoints, countVerdicts, type RunComparison } from '../compare/verdict.js';
import { toTable } from '../compare/print-table.js';
import { toMarkdown } from '../compare/print-markdown.js';
import { toJunit } from '../compare/print-junit.js';

export interface CompareCliOptions {
  threshold?: string;
  alpha?: string;
  markdown?: string;
  junit?: string;
  json?: string;
  all?: boolean;
  force?: boolean;
  store?: string;
  failOnMissing?: boolean;
}

/** "5", "5%" or "0.05" -> 0.05 */
export function parseThreshold(s: string | undefined): number {
  if (s === undefined) return DEFAULT_COMPARE.threshold;
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$/.exec(s);
  if (!m) throw new UserError(`--threshold: expected a percentage like 5 or 5%, got '${s}'`);
  const v = Number(m[1]);
  const frac = m[2] || v >= 1 ? v / 100 : v;
  if (!(frac > 0 && frac < 1)) throw new UserError(`--threshold: expected between 0 and 100%, got '${s}'`);
  return frac;
}

function label(dir: string, run: RunResults): string {
  return `${path.basename(dir)} (${run.scenario.name}, ${run.environment.gitCommit.slice(0, 12)})`;
}

export function compareCommand(baselineRef: string, candidateRef: string, o: CompareCliOptions, log: (l: string) => void): number {
  const cand = loadRun(candidateRef);
  let base: { dir: string; run: RunResults; note?: string };
  if (baselineRef.startsWith('@')) base = resolveBaseline(baselineRef.slice(1), cand.run, { store: o.store, force: o.force });
  else base = loadRun(baselineRef);
  const [bm, cm] = [machineOf(base.run), machineOf(cand.run)];
  if (bm.model !== cm.model && !o.force)
    throw new UserError(`refusing to compare runs from different machines: baseline ${describeMachine(bm)}, candidate ${describeMachine(cm)} (--force to compare anyway)`);
  const alpha = o.alpha === undefined ? DEFAULT_COMPARE.alpha : Number(o.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new UserError(`--alpha: expected a number between 0 and 1, got '${o.alpha}'`);
  const options = { ...DEFAULT_COMPARE, threshold: parseThreshold(o.threshold), alpha };
  const points = compareRunPoints(base.run, cand.run, options);
  const c: RunComparison = {
    baseline: { label: label(base.dir, base.run), machine: describeMachine(bm) },
    candidate: { label: label(cand.dir, cand.run), machine: describeMachine(cm) },
    options,
    points,
    counts: countVerdicts(points),
  };
  if (base.note) log(`note: ${base.note}`);
  if (bm.driver !== cm.driver && !base.note) log(`note: drivers differ (baseline ${bm.driver}, candidate ${cm.driver})`);
  log(toTable(c, o.all));
  const md = toMarkdown(c);
  if (o.markdown) writeFileSync(o.markdown, md);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, md);
  if (o.junit) writeFileSync(o.junit, toJunit(c));
  if (o.json) writeFileSync(o.json, JSON.stringify(c, null, 1));
  return c.counts.regressed > 0 || (o.failOnMissing && c.counts.missing > 0) ? ExitCode.failures : ExitCode.ok;
}
