/** `gatherbench info`: the environment and what this machine can run. */
import { loadAddon } from '../native/addon.js';
import { availability } from '../methods.js';
import { captureEnvironment } from '../env/environment.js';
import { formatBytes } from '../units.js';
import { HOST_ONLY_LABEL } from '../results/model.js';
import { Telemetry } from '../telemetry/session.js';
import { PeerSession } from '../peers/session.js';

export async function infoCommand(o: { json?: boolean; python?: string }, log: (l: string) => void): Promise<number> {
  const { addon, loadError } = loadAddon();
  const build = addon ? addon.buildInfo() : { error: loadError! };
  const cuda = addon && 'cuda' in build && build.cuda ? addon.cudaInfo() : undefined;
  const env = await captureEnvironment(build, cuda);
  const session = await PeerSession.open({ python: o.python });
  await session.close();
  const peers = session.info;
  const methods = availability(addon, loadError, cuda, peers);
  const telemetry = (await Telemetry.open(addon, cuda, { intervalMs: 100, windowSeconds: 0, idleSeconds: 0 })).info;
  if (o.json) {
    log(JSON.stringify({ environment: env, methods, telemetry, peers }, null, 2));
    return 0;
  }
  log(`host:    ${env.host.hostname}: ${env.host.os}, kernel ${env.host.kernel} (${env.host.arch}), virtualization: ${env.host.virtualization}`);
  log(`cpu:     ${env.cpu.model}: ${env.cpu.cores} threads / ${env.cpu.physicalCores} cores, ${env.cpu.numaNodes} NUMA node(s)`);
  log(`memory:  ${formatBytes(env.memory.total)} total, ${formatBytes(env.memory.available)} available`);
  log(`node:    ${env.node}; commit ${env.gitCommit}`);
  if ('error' in build) log(`addon:   ${build.error}`);
  else log(`addon:   ${build.cuda ? `CUDA build (nvcc ${build.cudaCompiler}, ${build.cudaArchitectures})` : 'CPU-only build (no CUDA compiler at install time)'}`);
  if (cuda?.available) {
    log(`cuda:    runtime ${cuda.runtimeVersion}, driver ${cuda.driverVersion}`);
    for (const d of cuda.devices)
      log(`  gpu ${d.index}: ${d.name}, cc ${d.computeCapability}, ${d.sms} SMs, ${formatBytes(d.totalMemory)} (${formatBytes(d.freeMemory)} free), ${d.pciBusId}, ${d.uuid}`);
  } else {
    log(`backend: ${HOST_ONLY_LABEL}${cuda?.reason ? `: ${cuda.reason}` : ''}`);
  }
  for (const g of telemetry.gpus)
    if (g.pcieGenMax !== undefined)
      log(`  gpu ${g.cudaIndex}: driver ${g.driver}, PCIe Gen${g.pcieGen} x${g.pcieWidth} now (max Gen${g.pcieGenMax} x${g.pcieWidthMax}), ECC ${g.ecc === 1 ? 'on' : g.ecc === 0 ? 'off' : 'unknown'}, power limit ${g.powerLimitW} W, max clocks SM ${g.smClockMaxMHz} / mem ${g.memClockMaxMHz} MHz`);
  log(`python:  ${peers.interpreter}${peers.python ? `: Python ${peers.python} (${peers.executable}), torch ${peers.torch ?? 'missing'}${peers.torchCuda ? ` (CUDA ${peers.torchCuda})` : ''}, dgl ${peers.dgl ?? 'missing'}` : ''}`);
  const peerWhy = [...new Set(Object.values(peers.reasons))];
  if (peerWhy.length) log(`         peer methods: ${peerWhy.join('; ')}`);
  log('can measure:');
  for (const line of Telemetry.describe(telemetry)) log(`  ${line}`);
  log('methods:');
  for (const m of methods) log(`  ${m.available ? 'yes' : 'no '} ${m.method}${m.reason ? `: ${m.reason}` : ''}`);
  return 0;
}
