/** `gatherbench gate-study`: how often the gate fails unchanged code, and how often it catches a slowdown. */
import { writeFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { loadRun } from '../results/store.js';
import { WARM_COLD_WHY, otherSampleState, sampleState } from '../compare/sample-state.js';
import { gpuUuid, machineOf } from '../compare/machine.js';
import { DEFAULT_COMPARE } from '../compare/verdict.js';
import { studyGate } from '../compare/study.js';
import { parseThreshold } from './compare.js';

export interface GateStudyOptions {
  baselines?: string;
  plant?: string;
  slowed?: string[];
  threshold?: string;
  json?: string;
  /** false: noise from each night's baselines only */
  history?: boolean;
  /** false: no confirmation of slower points (compare without --confirm) */
  confirm?: boolean;
  /** at most this many nights: a seeded sample of the baseline choices past it */
  nights?: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function gateStudyCommand(refs: string[], o: GateStudyOptions, log: (l: string) => void): number {
  const loaded = [...refs, ...(o.slowed ?? [])].map((r) => loadRun(r));
  const runs = loaded.slice(0, refs.length).map((l) => l.run);
  const slowed = loaded.slice(refs.length).map((l) => l.run);
  const k = o.baselines === undefined ? Math.min(3, runs.length - 1) : Number(o.baselines);
  if (!Number.isInteger(k) || k < 1) throw new UserError(`--baselines: expected a whole number of runs, at least 1, got '${o.baselines}'`);
  if (runs.length < k + 1) throw new UserError(`gate-study with ${k} baseline run(s) needs at least ${k + 1} runs of unchanged code, got ${runs.length}`);
  const mixed = otherSampleState(loaded, runs[0]);
  if (mixed) throw new UserError(`gate-study needs runs sampled alike: ${mixed.dir} has ${sampleState(mixed.run)} samples, ${loaded[0].dir} ${sampleState(runs[0])} ones (${WARM_COLD_WHY})`);
  const models = new Set([...runs, ...slowed].map((r) => machineOf(r).model));
  if (models.size > 1) throw new UserError(`gate-study needs runs from one GPU model, got ${[...models].join(', ')}`);
  const maxNights = o.nights === undefined ? 5000 : Number(o.nights);
  if (!Number.isInteger(maxNights) || maxNights < 1) throw new UserError(`--nights: expected a whole number of nights, at least 1, got '${o.nights}'`);
  const plantPct = o.plant === undefined ? undefined : parseThreshold(o.plant) * 100;
  const s = studyGate(runs, { ...DEFAULT_COMPARE, threshold: parseThreshold(o.threshold), baselines: k, plantPct, slowed, history: o.history !== false, confirm: o.confirm !== false, maxNights });
  log(`gate study: ${s.runs} runs of unchanged code, ${s.baselines} baseline run(s) per night, ${s.nights < s.possibleNights ? `${s.nights} of the ${s.possibleNights} nights (a seeded sample of the baseline choices, --nights)` : `${s.nights} nights (every choice of baselines and candidate)`}, noise from ${o.history !== false ? 'the baselines and the other runs (a kept history)' : 'the baselines only'}, ${o.confirm !== false ? 'slower points confirmed on the run made next (compare --confirm)' : 'no confirmation'}`);
  const gpus = new Set(runs.map(gpuUuid).filter(Boolean));
  if (gpus.size > 1) log(`note: the runs come from ${gpus.size} GPUs of the model (UUIDs differ): nights mix machines, whose CPU paths differ from host to host; study each runner's runs on their own to see its gate`);
  log(`false failures: ${s.falseFailures} of ${s.nights} nights (${pct(s.falseFailureRate)}); the nights reuse ${s.candidates} candidate runs, ${s.failingCandidates} of which failed any night: the false-night rate is at most ${pct(s.falseRateUpper95)} (95% upper bound from ${s.candidates} independent candidates)`);
  const noisy = s.points.filter((p) => p.falseSlower || p.uncertain);
  for (const p of noisy.slice(0, 15)) log(`  ${p.id}: slower on ${p.falseSlower}, uncertain on ${p.uncertain} of ${p.nights} nights`);
  if (noisy.length > 15) log(`  ... and ${noisy.length - 15} more points that were ever slower or uncertain`);
  for (const d of s.detection) {
    const what = d.shape === 'slowed runs' ? `${slowed.length} run(s) made with a planted slowdown` : `+${s.plantedPct!.toFixed(0)}% planted in ${d.shape === 'every point' ? 'every point at once' : d.shape === 'one method' ? "one method's points at a time" : 'one point at a time'}`;
    const methods = Object.entries(d.byMethod).map(([m, x]) => `${m} ${x.detected}/${x.planted}`).join(', ');
    log(`detection of ${what}: ${d.detected} of ${d.planted} gated planted points called slower (${pct(d.rate)}; ${d.uncertain} uncertain, counted as missed) over ${d.comparisons} comparisons; by method: ${methods}`);
  }
  if (o.json) writeFileSync(o.json, JSON.stringify(s, null, 1));
  return 0;
}
