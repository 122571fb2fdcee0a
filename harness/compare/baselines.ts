/**
 * Saved baselines: <store>/<gpu model>/<driver>/<name>/<run>/results.json.
 * A name keeps its newest runs (five by default): several runs let the gate
 * see how much a point moves between runs of unchanged code. A candidate is
 * compared with the baselines of its own GPU model, preferring its own
 * driver; another model only with --force.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadRun } from '../results/store.js';
import type { RunResults } from '../results/model.js';
import { describeMachine, machineOf, slug, type MachineKey } from './machine.js';

export const KEEP_RUNS = 5;

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

function dirs(p: string): string[] {
  return existsSync(p) && statSync(p).isDirectory() ? readdirSync(p).filter((x) => statSync(path.join(p, x)).isDirectory()) : [];
}

export function saveBaseline(runRef: string, name: string, store = defaultStore(), keep = KEEP_RUNS): BaselineEntry {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UserError(`baseline name '${name}': use letters, digits, ".", "_" or "-"`);
  const { dir: src, run } = loadRun(runRef);
  if (run.status !== 'complete') throw new UserError(`${src}: run is ${run.status}; only complete runs make baselines`);
  const machine = machineOf(run);
  const home = path.join(store, slug(machine.model), slug(machine.driver), name);
  const dir = path.join(home, path.basename(path.resolve(src)));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['results.json', 'results.csv']) if (existsSync(path.join(src, f))) cpSync(path.join(src, f), path.join(dir, f));
  const entry: BaselineEntry = { name, machine, savedAt: new Date().toISOString(), source: path.resolve(src), scenario: run.scenario.name, dir };
  writeFileSync(path.join(dir, 'baseline.json'), JSON.stringify(entry, null, 1));
  // keep the newest runs only
  const runs = dirs(home).map((d) => JSON.parse(readFileSync(path.join(home, d, 'baseline.json'), 'utf8')) as BaselineEntry);
  runs.sort((a, b) => b.savedAt.localeCompare(a.savedAt)).slice(keep).forEach((old) => rmSync(path.join(home, path.basename(old.dir)), { recursive: true, force: true }));
  return entry;
}

export function listBaselines(store = defaultStore()): BaselineEntry[] {
  const out: BaselineEntry[] = [];
  for (const m of dirs(store))
    for (const d of dirs(path.join(store, m)))
      for (const n of dirs(path.join(store, m, d)))
        for (const r of dirs(path.join(store, m, d, n))) {
          const meta = path.join(store, m, d, n, r, 'baseline.json');
          if (existsSync(meta)) out.push({ ...(JSON.parse(readFileSync(meta, 'utf8')) as BaselineEntry), dir: path.join(store, m, d, n, r) });
        }
  return out.sort((a, b) => a.machine.model.localeCompare(b.machine.model) || a.name.localeCompare(b.name) || b.savedAt.localeCompare(a.savedAt));
}

/** The runs saved as `name` for this candidate's machine; a note says when only another driver's (or model's) were found. */
export function resolveBaseline(name: string, candidate: RunResults, o: { store?: string; force?: boolean } = {}): { runs: { dir: string; run: RunResults }[]; note?: string } {
  const want = machineOf(candidate);
  const all = listBaselines(o.store).filter((b) => b.name === name);
  const sameModel = all.filter((b) => b.machine.model === want.model);
  const sameDriver = sameModel.filter((b) => b.machine.driver === want.driver);
  let pick = sameDriver.length ? sameDriver : sameModel.length ? sameModel.filter((b) => b.machine.driver === sameModel[0].machine.driver) : [];
  if (!pick.length && o.force && all.length) pick = all.filter((b) => b.machine.model === all[0].machine.model && b.machine.driver === all[0].machine.driver);
  if (!pick.length) {
    const have = [...new Set(all.map((b) => describeMachine(b.machine)))].join('; ') || 'none';
    throw new UserError(`no baseline '${name}' for ${describeMachine(want)} in ${o.store ?? defaultStore()} (baselines of that name: ${have}); --force compares across GPU models`);
  }
  const m = pick[0].machine;
  const note = m.model !== want.model ? `baseline is from another GPU model (${m.model})` : m.driver !== want.driver ? `baseline driver ${m.driver} differs from the candidate's ${want.driver}` : undefined;
  return { runs: pick.map((b) => loadRun(b.dir)), note };
}
