/** `gatherbench model`: the model's counts for a scenario (no GPU needed), or its fit to a run. */
import { existsSync, statSync } from 'node:fs';
import { isContiguous } from '../native/facts.js';
import { UserError } from '../errors.js';
import path from 'node:path';
import { loadScenario } from '../scenario/load.js';
import { expand } from '../scenario/expand.js';
import { loadRun } from '../results/store.js';
import { modelRun, predictCounts, type Workload } from '../model/model.js';

const fmt = (x: number | undefined, d = 0) => (x === undefined ? '' : x >= 1e6 ? x.toExponential(2) : x.toFixed(d));

export function modelCommand(ref: string, log: (l: string) => void): number {
  const isDir = existsSync(ref) && statSync(ref).isDirectory();
  if (isDir && !existsSync(path.join(ref, 'results.json'))) throw new UserError(`${ref}: a directory without results.json (model takes a scenario or a run directory)`);
  const isRun = isDir || (existsSync(ref) && ref.endsWith('.json'));
  if (isRun) {
    const m = modelRun(loadRun(ref).run);
    for (const f of m.fits) {
      log(`${f.family} (${f.methods.join(', ')}; ${f.points} points): median error ${(f.medianAbsError * 100).toFixed(1)}%`);
      for (const [k, v] of Object.entries(f.constants)) log(`  ${k}: ${Number.isFinite(v) ? +v.toPrecision(4) : 'n/a'}`);
    }
    const flagged = m.points.filter((p) => p.flagged);
    log(`${flagged.length} point(s) off by more than 20%:`);
    for (const p of flagged) log(`  ${(p.error! * 100).toFixed(0).padStart(5)}%  ${p.id}`);
    return 0;
  }
  const { scenario } = loadScenario(ref);
  log('predicted per gather (requests: PCIe read requests for zero-copy, memory requests on the GPU; bytes: fetched in 32-byte sectors):');
  log(`${'requests'.padStart(10)} ${'bytes'.padStart(10)} ${'useful/wire'.padStart(11)} ${'pages'.padStart(10)}  case`);
  for (const c of expand(scenario)) {
    const w: Workload = { method: c.method, rowBytes: c.derived.rowBytes, elemBytes: c.derived.elemBytes, batch: c.values.batch, tableBytes: c.derived.tableBytes, vectorBytes: c.values.vector === 'elem' ? c.derived.elemBytes : c.values.vector, hugePages: c.values.alloc === 'hugepage', contiguous: isContiguous(c.method), hitRate: c.values.cache.bytes !== undefined ? Math.min(1, c.values.cache.bytes / c.derived.tableBytes) : c.values.cache.share };
    const k = predictCounts(w);
    // the case last and whole: ids differ at their ends
    log(`${fmt(k.requests).padStart(10)} ${fmt(k.bytesOnWire).padStart(10)} ${fmt(k.wireEfficiency, 3).padStart(11)} ${fmt(k.pagesTouched).padStart(10)}  ${c.id}`);
  }
  log('times need constants fitted to a run: gatherbench model <run dir>');
  return 0;
}
