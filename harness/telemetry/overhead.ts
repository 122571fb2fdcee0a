/** What one sampler tick costs, timed with tinybench: reported so readers can judge the sampler's own footprint. */
import { Bench } from 'tinybench';
import type { Collect } from './sampler.js';

export async function tickCostMs(collect: Collect, timeMs = 150): Promise<number | undefined> {
  const bench = new Bench({ time: timeMs, warmupTime: 20 });
  bench.add('telemetry tick', async () => {
    await collect();
  });
  await bench.run();
  const r = bench.tasks[0].result;
  return r.state === 'completed' ? r.latency.mean : undefined;
}
