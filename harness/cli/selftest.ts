/** `gatherbench selftest`: the correctness matrix on this machine's methods. */
import { UserError } from '../errors.js';
import { loadAddon } from '../native/addon.js';
import { availability, methodSpec } from '../methods.js';
import { describeCase, runSelftest } from '../selftest/run.js';
import { selftestScenario } from '../selftest/scenario.js';

export async function selftestCommand(o: { methods?: string; device?: string; scenario?: string }, log: (l: string) => void): Promise<number> {
  if (o.scenario !== undefined) {
    if (o.methods !== undefined) throw new UserError('selftest: --scenario runs the scenario\'s own methods; --methods cannot be given with it');
    return selftestScenario(o.scenario, { log });
  }
  const { addon, loadError } = loadAddon();
  if (!addon) throw new UserError(loadError!);
  const avail = availability(addon);
  const wanted = o.methods ? o.methods.split(',').map((m) => m.trim()) : avail.filter((a) => a.available).map((a) => a.method);
  for (const m of wanted) {
    if (!methodSpec(m)) throw new UserError(`--methods: unknown method '${m}'`);
    const a = avail.find((x) => x.method === m)!;
    if (!a.available) throw new UserError(`${m} is unavailable here: ${a.reason}`);
  }
  const cuda = wanted.some((m) => methodSpec(m)!.backend === 'cuda');
  const device = o.device ?? '0';
  const devices = cuda ? addon.cudaInfo().devices.length : Infinity;
  if (!/^\d+$/.test(device) || Number(device) >= devices)
    throw new UserError(`--device: expected a CUDA device index${Number.isFinite(devices) ? ` from 0 to ${devices - 1}` : ''}, got '${device}'`);
  const counts = { pass: 0, fail: 0, 'n/a': 0 };
  const t0 = Date.now();
  await runSelftest(addon, {
    methods: wanted,
    device: Number(device),
    alloc: cuda ? 'hostalloc' : 'malloc',
    onOutcome: (x) => {
      counts[x.status]++;
      if (x.status === 'fail') log(`FAIL ${describeCase(x.case)}: ${x.detail}`);
    },
  });
  log(`selftest of ${wanted.join(', ')} in ${((Date.now() - t0) / 1e3).toFixed(1)} s (${counts['n/a']} cases not applicable)`);
  log(`${counts.pass} passed, ${counts.fail} failed`);
  return counts.fail ? 1 : 0;
}
