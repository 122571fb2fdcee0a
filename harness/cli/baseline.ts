/** `gatherbench baseline save|list`. */
import { listBaselines, saveBaseline } from '../compare/baselines.js';
import { describeMachine } from '../compare/machine.js';

export function baselineSaveCommand(run: string, o: { name: string; store: string }, log: (l: string) => void): number {
  const e = saveBaseline(run, o.name, o.store);
  log(`saved baseline '${e.name}' for ${describeMachine(e.machine)} in ${e.dir}`);
  return 0;
}

export function baselineListCommand(o: { store: string }, log: (l: string) => void): number {
  const all = listBaselines(o.store);
  if (!all.length) log(`no baselines in ${o.store}`);
  for (const b of all) log(`${b.name.padEnd(16)} ${describeMachine(b.machine).padEnd(48)} ${b.scenario.padEnd(14)} saved ${b.savedAt}  ${b.dir}`);
  return 0;
}
