/**
 * Saved baselines: <store>/<gpu model>/<driver>/<name>/results.json. A
 * candidate is compared with the baseline of its own GPU model, preferring
 * its own driver; another model only with --force.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadRun } from '../results/store.js';
import type { RunResults } from '../results/model.js';
import { describeMachine, machineOf, slug, type MachineKey } from './machine.js';

export interface BaselineEntry {
  name: string;
  machine: MachineKey;
  savedAt: string;
  source: string;
  scenario: string;
  dir: string;
}

export function defaultStore(): string {
  return process.env.GATHERBENCH_BASELINES ?? 'baselines';
}

export function saveBaseline(runRef: string, name: string, store = defaultStore()): BaselineEntry {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UserError(`baseline name '${name}': use letters, digits, ".", "_" or "-"`);
  const { dir: src, run } = loadRun(runRef);
  if (run.status !== 'complete') throw new UserError(`${src}: run is ${run.status}; only complete runs make baselines`);
  const machine = machineOf(run);
  const dir = path.join(store, slug(machine.model), slug(machine.driver), name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['results.json', 'results.csv']) if (existsSync(path.join(src, f))) cpSync(path.join(src, f), path.join(dir, f));
  const entry: BaselineEntry = { name, machine, savedAt: new Date().toISOString(), source: path.resolve(src), scenario: run.scenario.name, dir };
  writeFileSync(path.join(dir, 'baseline.json'), JSON.stringify(entry, null, 1));
  return entry;
}

export function listBaselines(store = defaultStore()): BaselineEntry[] {
  if (!existsSync(store)) return [];
  const out: BaselineEntry[] = [];
  for (const m of readdirSync(store))
    for (const d of dirs(path.join(store, m)))
      for (const n of dirs(path.join(store, m, d))) {
        const meta = path.join(store, m, d, n, 'baseline.json');
        if (existsSync(meta)) out.push({ ...(JSON.parse(readFileSync(meta, 'utf8')) as BaselineEntry), dir: path.join(store, m, d, n) });
      }
  return out.sort((a, b) => a.machine.model.localeCompare(b.machine.model) || a.name.localeCompare(b.name));
}

function dirs(p: string): string[] {
  return existsSync(p) && statSync(p).isDirectory() ? readdirSync(p).filter((x) => statSync(path.join(p, x)).isDirectory()) : [];
}

/** The baseline called `name` for this candidate's machine; a note says when only another driver's was found. */
export function resolveBaseline(name: string, candidate: RunResults, o: { store?: string; force?: boolean } = {}): { dir: string; run: RunResults; note?: string } {
  const want = machineOf(candidate);
  const all = listBaselines(o.store).filter((b) => b.name === name);
  const sameModel = all.filter((b) => b.machine.model === want.model);
  const pick = sameModel.find((b) => b.machine.driver === want.driver) ?? sameModel.sort((a, b) => b.savedAt.localeCompare(a.savedAt))[0] ?? (o.force ? all[0] : undefined);
  if (!pick) {
    const have = all.map((b) => describeMachine(b.machine)).join('; ') || 'none';
    throw new UserError(`no baseline '${name}' for ${describeMachine(want)} in ${o.store ?? defaultStore()} (baselines of that name: ${have}); --force compares across GPU models`);
  }
  const note = pick.machine.model !== want.model ? `baseline is from another GPU model (${pick.machine.model})` : pick.machine.driver !== want.driver ? `baseline driver ${pick.machine.driver} differs from the candidate's ${want.driver}` : undefined;
  return { ...loadRun(pick.dir), note };
}
