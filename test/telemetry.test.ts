import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { gpuWindow, implausibleEnergy, implausiblePcie, integratePowerJ, sumGpuWindows, systemLoad, throttleNames, ticksIn } from '../harness/telemetry/window.js';
import { findRaplZones, raplDeltaJ, readRapl } from '../harness/telemetry/rapl.js';
import { Sampler } from '../harness/telemetry/sampler.js';
import { parseSmi } from '../harness/telemetry/gpu-source.js';
import { Telemetry, telemetryWarnings } from '../harness/telemetry/session.js';
import type { RunTelemetry } from '../harness/telemetry/types.js';
import { tickCost } from '../harness/telemetry/overhead.js';
import { idleWindowReason, withdrawIdleFigures } from '../harness/telemetry/busy-share.js';
import { loadRun } from '../harness/results/store.js';
import { loadAddon } from '../harness/native/addon.js';
import type { Tick } from '../harness/telemetry/types.js';
import { tmpDir } from './helpers.js';

const { addon } = loadAddon();

// A made-up GPU: 100 ms ticks at 300 W (200 W idle), energy counter advancing 30 J per tick.
const U = 'GPU-test';
const ticks: Tick[] = Array.from({ length: 20 }, (_, i) => ({
  t: 1000 + i * 100,
  cpuLoad: i < 10 ? 10 : 50,
  gpus: { [U]: { powerW: i < 10 ? 200 : 300, smClockMHz: 1980, memClockMHz: 2619, gpuUtil: 90, tempC: 40 + i, pcieRxBps: 50e9, pcieGen: i === 15 ? 4 : 5, pcieWidth: 16, throttleReasons: i === 12 ? 0x4 : 0x1 } },
}));

describe('telemetry windows', () => {
  it('selects the ticks that cover a window', () => {
    // a tick at t covers (t - 100, t]: the one at 2000 covers time before the window
    const w = ticksIn(ticks, 2000, 2900, 100);
    expect(w.map((k) => k.t)).toEqual([2100, 2200, 2300, 2400, 2500, 2600, 2700, 2800, 2900]);
  });

  it('aggregates GPU readings, energy per GB and energy above idle', () => {
    const w = gpuWindow(U, ticksIn(ticks, 2000, 2900, 100), { seconds: 1, gatheredGB: 50, energyJ: 300, idlePowerW: 200 });
    expect(w).toMatchObject({ powerMeanW: 300, powerMaxW: 300, energyJ: 300, energyPerGBJ: 6, idlePowerW: 200, energyAboveIdleJ: 100, energyAboveIdlePerGBJ: 2, smClockMeanMHz: 1980, utilMeanPct: 90, tempMaxC: 59, pcieRxGBps: 50, pcieGenMin: 4, pcieWidthMin: 16 });
    expect(w.throttle).toEqual(['software power cap']);
  });

  it('adds up several GPUs working on one point', () => {
    const one = gpuWindow(U, ticksIn(ticks, 2000, 2900, 100), { seconds: 1, gatheredGB: 25, energyJ: 300, idlePowerW: 200 });
    const two = sumGpuWindows([one, { ...one, uuid: 'GPU-b', pcieGenMin: 5 }], 50);
    expect(two).toMatchObject({ uuid: 'GPU-test+GPU-b', powerMeanW: 600, energyJ: 600, energyPerGBJ: 12, idlePowerW: 400, energyAboveIdleJ: 200, energyAboveIdlePerGBJ: 4, smClockMeanMHz: 1980, pcieRxGBps: 100, pcieGenMin: 4 });
    expect(sumGpuWindows([one], 25)).toBe(one);
  });

  it('integrates power where there is no energy counter', () => {
    expect(integratePowerJ([{ t: 0, w: 100 }, { t: 1000, w: 300 }, { t: 2000, w: 300 }])).toBe(500);
    expect(integratePowerJ([{ t: 0, w: 100 }])).toBeUndefined();
    const w = gpuWindow(U, ticksIn(ticks, 2000, 2900, 100), { seconds: 1, gatheredGB: 1 });
    expect(w.energyJ).toBeCloseTo(300 * 0.8, 9); // 9 readings span 0.8 s
  });

  it('reads system load and throttle reasons', () => {
    expect(systemLoad(ticks.slice(8, 12))).toEqual({ meanPct: 30, maxPct: 50, perCoreMeanPct: undefined });
    expect(systemLoad([{ t: 0, cpuLoad: 50, perCore: [100, 0] }, { t: 1, cpuLoad: 25, perCore: [50, 0] }]).perCoreMeanPct).toEqual([75, 0]);
    expect(systemLoad([])).toEqual({ meanPct: undefined, maxPct: undefined, perCoreMeanPct: undefined });
    expect(throttleNames(0x1 | 0x2)).toEqual([]); // idle, application clocks: not throttling
    expect(throttleNames(0x8 | 0x40)).toEqual(['hardware slowdown', 'hardware thermal slowdown']);
  });

  it('parses the nvidia-smi fallback', () => {
    expect(parseSmi('GPU-a, 312.5, 1980, 2619, 97, 45, 5, 16\nGPU-b, [N/A], 1410, 1593, 0, 30, 4, 16\n')).toEqual({
      'GPU-a': { powerW: 312.5, smClockMHz: 1980, memClockMHz: 2619, gpuUtil: 97, tempC: 45, pcieGen: 5, pcieWidth: 16 },
      'GPU-b': { smClockMHz: 1410, memClockMHz: 1593, gpuUtil: 0, tempC: 30, pcieGen: 4, pcieWidth: 16 },
    });
  });
});

describe('implausible readings', () => {
  it('a PCIe receive rate below what was gathered over the link is refused with the reason', () => {
    const w = { uuid: 'g', throttle: [], pcieRxGBps: 20 };
    expect(implausiblePcie(w, 48)).toMatch(/read 20\.0 GB\/s where 48\.0 GB\/s were gathered/);
    expect(implausiblePcie({ ...w, pcieRxGBps: 52 }, 48)).toBeUndefined();
    expect(implausiblePcie({ uuid: 'g', throttle: [] }, 48)).toBeUndefined();
  });

  it('GPU energy above the board power limit over its window is refused with the reason (the H100 read 478 W in 100 ms)', () => {
    const w = { uuid: 'g', throttle: [], energyJ: 47.8 };
    expect(implausibleEnergy(w, 0.1, 700)).toBeUndefined();
    expect(implausibleEnergy({ ...w, energyJ: 78.1 }, 0.1, 700)).toMatch(/read 781 W over a 100 ms window, above the 700 W power limit/);
    expect(implausibleEnergy({ uuid: 'g', throttle: [] }, 0.1, 700)).toBeUndefined();
    expect(implausibleEnergy({ ...w, energyJ: 78.1 }, 0.1, NaN)).toBeUndefined(); // no limit known: nothing to hold it to
  });

  it('a window the method mostly waited through gives no energy, power or PCIe figure, with the reason', () => {
    const t = { windowSeconds: 3.39, iterations: 1, gatheredGB: 0.0084, methodCpuSeconds: 0, methodCores: 0, cpuSecondsPerGB: 0.078, processCpuSeconds: 3.4, unavailable: {}, gpu: { uuid: 'g', throttle: [], energyJ: 471, energyPerGBJ: 56193 }, cpuPackage: { energyJ: 300, energyPerGBJ: 35000 } };
    const idle = withdrawIdleFigures(t, 0.00015);
    expect(idle.gpu).toBeUndefined();
    expect(idle.cpuPackage).toBeUndefined();
    expect(idle.unavailable.gpu).toMatch(/ran 0\.0044% of the 3\.39 s window \(needs 50%\)/);
    expect(idle.cpuSecondsPerGB).toBe(0.078); // counted CPU time stays
    expect(withdrawIdleFigures(t, 3)).toBe(t);
    expect(idleWindowReason(1.7, 3.39)).toBeUndefined();
  });

  it('the same rule applies when an older results file is read: the stored H100 characterize run loses its 58,022 J/GB', () => {
    const raw = JSON.parse(readFileSync('docs/runs/h100-characterize/results.json', 'utf8')) as { points: { telemetry?: { gpu?: { energyPerGBJ?: number } } }[] };
    expect(Math.max(...raw.points.map((p) => p.telemetry?.gpu?.energyPerGBJ ?? 0))).toBeGreaterThan(50_000);
    const { run } = loadRun('docs/runs/h100-characterize');
    const left = run.points.map((p) => p.telemetry?.gpu?.energyPerGBJ ?? 0);
    expect(Math.max(...left)).toBeLessThan(1000);
    expect(run.points.some((p) => /ran [\d.]+% of the/.test(p.telemetry?.unavailable.gpu ?? ''))).toBe(true);
  });
});

describe('RAPL', () => {
  function fakePowercap(zones: Record<string, [string, number, number]>): string {
    const root = tmpDir();
    for (const [dir, [name, uj, max]] of Object.entries(zones)) {
      mkdirSync(path.join(root, dir));
      writeFileSync(path.join(root, dir, 'name'), `${name}\n`);
      writeFileSync(path.join(root, dir, 'energy_uj'), `${uj}\n`);
      writeFileSync(path.join(root, dir, 'max_energy_range_uj'), `${max}\n`);
    }
    return root;
  }

  it('reads package and DRAM counters, summed over sockets', () => {
    const root = fakePowercap({ 'intel-rapl:0': ['package-0', 5e6, 2 ** 32], 'intel-rapl:1': ['package-1', 7e6, 2 ** 32], 'intel-rapl:0:0': ['dram', 1e6, 2 ** 32] });
    const { zones, state } = findRaplZones(root);
    expect(state).toEqual({ ok: true, detail: expect.stringContaining('package-0') });
    expect(readRapl(zones)).toEqual({ package: 12e6, dram: 1e6 });
  });

  it('handles a counter that wrapped', () => {
    expect(raplDeltaJ(4e6, 5e6, 1e7)).toBe(1);
    expect(raplDeltaJ(9.5e6, 0.5e6, 1e7)).toBe(1);
    expect(raplDeltaJ(undefined, 5, 10)).toBeUndefined();
  });

  it('says why it is unavailable', () => {
    expect(findRaplZones('/nonexistent').state).toEqual({ ok: false, reason: '/nonexistent does not exist (no powercap support in this kernel)' });
    expect(findRaplZones(tmpDir()).state).toMatchObject({ ok: false, reason: expect.stringMatching(/^no RAPL zones under/) });
    if (process.getuid?.() !== 0) {
      const root = fakePowercap({ 'intel-rapl:0': ['package-0', 1, 2] });
      chmodSync(path.join(root, 'intel-rapl:0', 'energy_uj'), 0o000);
      expect(findRaplZones(root).state).toMatchObject({ ok: false, reason: expect.stringMatching(/not readable/) });
    }
  });
});

describe('sampler', () => {
  it('records ticks and skips a tick while one is still collecting', async () => {
    let release!: () => void;
    let calls = 0;
    const s = new Sampler(() => {
      calls++;
      return new Promise((r) => (release = () => r({ cpuLoad: 1 })));
    }, 10);
    const first = s.tick();
    await s.tick(); // busy: skipped
    expect(s.skipped).toBe(1);
    release();
    await first;
    expect(calls).toBe(1);
    expect(s.ticks).toHaveLength(1);
    s.forgetBefore(s.ticks[0].t + 1);
    expect(s.ticks).toHaveLength(0);
  });

  it('a failing source loses a tick, not the run', async () => {
    const s = new Sampler(() => Promise.reject(new Error('sensor gone')), 10);
    await s.tick();
    expect(s.ticks).toHaveLength(0);
  });

  it('measures its own cost with tinybench', async () => {
    const waits = await tickCost(() => new Promise((r) => setTimeout(() => r({ cpuLoad: 1 }), 5)), 60);
    expect(waits!.latencyMs).toBeGreaterThanOrEqual(4);
    expect(waits!.cpuMs).toBeLessThan(waits!.latencyMs); // waiting is not CPU
  });
});

describe('telemetry on this machine', () => {
  it('opens, measures idle and a point window, and says what is unavailable', async () => {
    const cuda = addon!.buildInfo().cuda ? addon!.cudaInfo() : undefined;
    const t = await Telemetry.open(addon, cuda, { intervalMs: 20, windowSeconds: 0.2, idleSeconds: 0.1 });
    expect(t.info.sources['system CPU load']).toMatch(/^ok/);
    if (!cuda?.available) expect(t.info.sources['GPU power, clocks, PCIe']).toMatch(/^unavailable: /);
    expect(t.sampling).toBe(false);
    await t.measureIdle();
    expect(t.sampling).toBe(false);
    expect(t.info.idle!.seconds).toBeGreaterThanOrEqual(0.09);
    const table = await addon!.createTable({ rows: 10000, rowBytes: 256, alloc: 'malloc', seed: 1 });
    const bench = await addon!.prepare(table, { method: 'host-gather-copy', batch: 2048, elemBytes: 4, distribution: { kind: 'uniform' }, seed: 1 });
    await expect(bench.soak({ seconds: 0.1 })).rejects.toThrow(/verified/); // soaks only on verified index sets
    await bench.run({ firstSample: 0, samples: 2, warmup: 1 });
    const start = t.begin();
    expect(t.sampling).toBe(true);
    const soak = await bench.soak({ seconds: 0.2 });
    const w = await t.end(start, { soak, usefulBytes: 2048 * 256 });
    expect(t.sampling).toBe(false);
    bench.close();
    table.release();
    expect(soak.iterations).toBeGreaterThan(1);
    expect(w.windowSeconds).toBeGreaterThanOrEqual(0.2);
    expect(w.gatheredGB).toBeCloseTo((soak.iterations * 2048 * 256) / 1e9, 12);
    expect(w.methodCpuSeconds).toBeGreaterThan(0);
    expect(w.cpuSecondsPerGB).toBeCloseTo(w.methodCpuSeconds / w.gatheredGB, 12);
    expect(w.systemLoadMeanPct).toBeGreaterThan(0);
    expect(Object.keys(w.unavailable).length + (w.cpuPackage ? 1 : 0)).toBeGreaterThan(0);
  });

  it('contention threads start, load the CPU and stop cleanly', async () => {
    const c = new addon!.Contention({ threads: 2, bytesPerThread: 1 << 20 });
    await new Promise((r) => setTimeout(r, 100));
    const r = c.stop();
    expect(r.threads).toBe(2);
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThanOrEqual(0.09);
    expect(() => c.stop()).toThrow(/already stopped/);
    expect(() => new addon!.Contention({ threads: 0 })).toThrow(/1 to 1024 threads/);
  });
});

describe('run warnings', () => {
  const info: RunTelemetry = { intervalMs: 100, windowSeconds: 1, sources: {}, gpus: [{ uuid: U, cudaIndex: 0, name: 'H100', pcieGenMax: 5, pcieWidthMax: 16 }], overheadPct: 0.1 };
  const point = (id: string, gen: number, throttle: string[]) => ({
    id,
    telemetry: { gpu: { uuid: U, pcieGenMin: gen, pcieWidthMin: 16, throttle } } as never,
  });

  it('flag a PCIe link below its maximum and throttling, not a healthy run', () => {
    expect(telemetryWarnings(info, [point('a', 5, [])])).toEqual([]);
    const w = telemetryWarnings(info, [point('a', 5, []), point('b', 3, ['hardware slowdown'])]);
    expect(w).toEqual([
      'H100: PCIe link below its maximum (Gen5 x16) during 1 measurement window(s), e.g. Gen3 x16 in b',
      'H100: throttled (hardware slowdown) during 1 measurement window(s), e.g. b',
    ]);
  });

  it('say which points sampled while the machine took their CPU time', () => {
    expect(telemetryWarnings(info, [{ ...point('a', 5, []), host: { stealPct: 0.4, throttledMs: 0 } }])).toEqual([]);
    const w = telemetryWarnings(info, [point('a', 5, []), { ...point('b', 5, []), host: { stealPct: 7.5 } }]);
    expect(w).toEqual(['the machine took CPU time from 1 point(s) while they sampled, e.g. b: the hypervisor gave 7.5% of this machine\'s CPU time to other guests (steal); compare calls their slowdowns of up to 4x uncertain']);
  });
});
