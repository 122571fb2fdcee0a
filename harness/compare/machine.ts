/** Which machine a run measured: GPU model and driver, the key for baselines and the guard against apples-to-oranges comparisons. */
import type { RunResults } from '../results/model.js';

export interface MachineKey {
  /** GPU model, or "host-only: <CPU model>" */
  model: string;
  driver: string;
}

export function machineOf(run: RunResults): MachineKey {
  const gpu = run.environment.cuda?.devices[0];
  if (!gpu || run.hostOnly) return { model: `host-only: ${run.environment.cpu.model}`, driver: 'none' };
  const driver = run.telemetry?.gpus[0]?.driver ?? (run.environment.cuda?.driverVersion ? `cuda ${run.environment.cuda.driverVersion}` : 'unknown');
  return { model: gpu.name, driver };
}

/** The physical GPU a run measured (its UUID), where it had one: runners of one model differ on their CPU paths. */
export function gpuUuid(run: RunResults): string | undefined {
  return run.environment.cuda?.devices[0]?.uuid;
}

export function describeMachine(m: MachineKey): string {
  return m.driver === 'none' ? m.model : `${m.model} (driver ${m.driver})`;
}

/** A filesystem-safe name for a key part. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
}
