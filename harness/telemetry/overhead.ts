/**
 * What one sampler tick costs, timed with tinybench: its latency (NVML's PCIe
 * query waits ~20 ms per direction, off the JS thread) and the CPU time this
 * process spends on it, which is what the sampler takes from the measurement.
 */
import { Bench } from 'tinybench';
import type { Collect } from './sampler.js';

export interface TickCost {
  latencyMs: number;
  cpuMs: number;
}

/** A handful of ticks: a tick's cost is stable, and every millisecond here is a millisecond of run not measuring. */
export async function tickCost(collect: Collect, ticks = 5): Promise<TickCost | undefined> {
  const bench = new Bench({ time: 0, iterations: ticks, warmupTime: 0, warmupIterations: 1 });
  bench.add('telemetry tick', async () => {
    await collect();
  });
  const cpu0 = process.cpuUsage();
  await bench.run();
  const cpu = process.cpuUsage(cpu0);
  const task = bench.tasks[0];
  const r = task.result;
  if (r.state !== 'completed' || task.runs === 0) return undefined;
  return { latencyMs: r.latency.mean, cpuMs: (cpu.user + cpu.system) / 1e3 / task.runs };
}
