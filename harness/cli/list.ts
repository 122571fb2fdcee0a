/** `gatherbench list`: scenarios, methods and axes. */
import { listScenarios } from '../scenario/load.js';
import { METHODS, availability } from '../methods.js';
import { loadAddon } from '../native/addon.js';
import { AXES, AXIS_NAMES } from '../scenario/axes.js';
import { PeerSession } from '../peers/session.js';

export async function listCommand(log: (l: string) => void, o: { python?: string } = {}): Promise<number> {
  log('scenarios (gatherbench run <name>):');
  for (const s of listScenarios()) log(`  ${s.name.padEnd(16)} ${s.points !== undefined ? `(${s.points} points) ` : ''}${s.description.split('\n')[0]}`);
  const { addon, loadError } = loadAddon();
  // the peer methods: what the Python worker says its interpreter has
  const session = await PeerSession.open({ python: o.python });
  await session.close();
  const peers = session.info;
  const avail = availability(addon, loadError, undefined, peers);
  log('\nmethods:');
  for (const m of METHODS) {
    const a = avail.find((x) => x.method === m.name)!;
    log(`  ${m.name.padEnd(18)} [${m.backend}, ${m.role}] ${m.summary}`);
    log(`  ${''.padEnd(18)} ${a.available ? 'available here' : `unavailable here: ${a.reason}`}`);
  }
  log('\naxes (scenario key axes.<name>: [values]):');
  for (const a of AXIS_NAMES) log(`  ${a.padEnd(13)} ${AXES[a].doc} (default ${JSON.stringify(AXES[a].default)})`);
  return 0;
}
