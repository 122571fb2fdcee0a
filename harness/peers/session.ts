/**
 * The peer methods (what users run today: PyTorch, DGL), measured beside
 * gatherbench's own on the same rows: a worker process that gatherbench
 * starts and drives, one per run. It rebuilds the table with the addon's
 * bytes (checked word by word against the addon), gathers the index sets the
 * harness hands it (the native methods' sets), verifies every output and
 * times with torch.cuda.Event. A peer bench has the native bench's shape, so
 * the runner, stopping rule, telemetry and results treat it like any other.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../paths.js';
import type { Addon, ChunkResult, DistributionSpec, NativeBench, NativeTable, PrepareOptions, SoakResult } from '../native/addon.js';
import { PeerError, PeerWorker, type WorkerReply } from './worker.js';

export const PEER_METHODS = ['torch-pageable', 'torch-pinned', 'dgl-uva'] as const;
export const WORKER_SCRIPT = path.join(packageRoot, 'harness', 'peers', 'torch_worker.py');

/** The interpreter: --python, else $GATHERBENCH_PYTHON, else python3 on the PATH. */
export function pythonInterpreter(flag?: string): string {
  return flag || process.env.GATHERBENCH_PYTHON || 'python3';
}

export interface PeerInfo {
  interpreter: string;
  python?: string;
  executable?: string;
  torch?: string;
  torchCuda?: string | null;
  cudaAvailable?: boolean;
  device?: string;
  dgl?: string;
  /** why each peer method cannot run here; absent where it can */
  reasons: Partial<Record<string, string>>;
}

export interface PeerOptions {
  python?: string;
  /** the worker script (a stand-in in tests) */
  script?: string;
  /** per request; the table and the first hello get ten times this */
  timeoutMs?: number;
}

function reasonsOf(h: WorkerReply | undefined, why?: string): Partial<Record<string, string>> {
  const all = (r: string) => Object.fromEntries(PEER_METHODS.map((m) => [m, r]));
  if (!h) return all(why ?? 'no peer worker');
  if (!h.torch) return all(String(h.torchReason ?? 'torch does not import'));
  if (!h.cudaAvailable) return all(String(h.cudaReason ?? 'torch sees no CUDA device'));
  return h.dgl ? {} : { 'dgl-uva': String(h.dglReason ?? 'dgl does not import') };
}

export class PeerSession {
  private worker: PeerWorker | undefined;
  private tableKey = '';

  private constructor(readonly info: PeerInfo, private readonly o: Required<Omit<PeerOptions, 'python'>> & { python: string }) {}

  /**
   * Asks a worker what its Python has. Where torch can gather, the worker stays for the sweep (importing torch
   * again took seconds); the caller closes the session, and a worker is killed with gatherbench however it
   * ends (worker.ts). Never throws: a missing Python or torch becomes the reasons.
   */
  static async open(o: PeerOptions = {}): Promise<PeerSession> {
    const opts = { python: pythonInterpreter(o.python), script: o.script ?? WORKER_SCRIPT, timeoutMs: o.timeoutMs ?? 120_000 };
    const s = new PeerSession({ interpreter: opts.python, reasons: {} }, opts);
    try {
      const h = await s.start();
      Object.assign(s.info, { python: h.python, executable: h.executable, torch: h.torch, torchCuda: h.torchCuda, cudaAvailable: h.cudaAvailable, device: h.device, dgl: h.dgl });
      s.info.reasons = reasonsOf(h);
      if (PEER_METHODS.some((m) => !s.info.reasons[m])) return s;
    } catch (e) {
      s.info.reasons = reasonsOf(undefined, `no usable Python at '${opts.python}' (--python or GATHERBENCH_PYTHON): ${(e as Error).message}`);
    }
    await s.close();
    return s;
  }

  private async start(): Promise<WorkerReply> {
    this.worker = new PeerWorker(this.o.python, [this.o.script]);
    this.tableKey = '';
    return this.worker.request('hello', {}, 10 * this.o.timeoutMs);
  }

  /** Prepares a peer method at one point: the table (the worker builds its words once per seed and largest size; a new shape is a view), then the method. */
  async prepare(addon: Addon, table: NativeTable, o: PrepareOptions & { seed: number }): Promise<NativeBench> {
    const why = this.info.reasons[o.method];
    if (why) throw new PeerError('UNSUPPORTED', why);
    if (!this.worker?.alive) await this.start(); // a worker that died on an earlier point is replaced
    const w = this.worker!;
    const t = table.info();
    const key = `${t.rows}x${t.rowBytes}/${o.elemBytes}/${o.seed}`;
    if (key !== this.tableKey) {
      const words = [0, 1, Math.floor((t.rows * t.rowBytes) / 8) - 1];
      const r = await w.request('table', { rows: t.rows, rowBytes: t.rowBytes, elemBytes: o.elemBytes, seed: o.seed, probe: words }, 10 * this.o.timeoutMs);
      const probe = r.probe as Record<string, string>;
      for (const word of words) {
        const want = addon.tableWord({ seed: o.seed, word }).toString();
        if (probe[String(word)] !== want) throw new PeerError('WORKER', `the peer worker's table differs from the addon's at word ${word} (${probe[String(word)]}, not ${want})`);
      }
      this.tableKey = key;
    }
    const flush = o.flush !== false;
    // cold as the native methods: the worker pushes the rows it verified out of the CPU's cache before timing
    const cpuEvictBytes = flush ? 2 * addon.facts().cpuCacheBytes : 0;
    const p = await w.request('prepare', { method: o.method, batch: o.batch, device: o.device ?? 0, flush, cpuEvictBytes }, this.o.timeoutMs);
    return new PeerBench(addon, w, t.rows, t.rowBytes, o, { ...(p.details as Record<string, string>), peer: `${this.info.interpreter}: Python ${this.info.python}, torch ${this.info.torch}${this.info.dgl ? `, dgl ${this.info.dgl}` : ''}` }, this.o.timeoutMs);
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }
}

/** One peer method at one point, in the native bench's shape. */
class PeerBench implements NativeBench {
  private readonly sets: number;
  private readonly loaded = new Set<number>();
  private readonly verified = new Set<number>();

  constructor(
    private readonly addon: Addon,
    private readonly w: PeerWorker,
    private readonly rows: number,
    rowBytes: number,
    private readonly o: PrepareOptions & { seed: number },
    private readonly info: Record<string, string>,
    private readonly timeoutMs: number,
  ) {
    // the worker's flush writes device memory only: the rotation past the CPU's cache keeps its samples cold
    this.sets = addon.indexSetCount({ outputBytes: o.batch * rowBytes, coldAfterFlush: false });
  }

  /** Hands set k to the worker: the indices the native methods gather for set k. */
  private async load(k: number): Promise<number> {
    const t0 = performance.now();
    const idx = this.addon.generateIndices({ rows: this.rows, count: this.o.batch, seed: this.o.seed, set: k, distribution: this.o.distribution as DistributionSpec });
    await this.w.request('load', { set: k, indices: Buffer.from(idx.buffer, idx.byteOffset, idx.byteLength).toString('base64') }, this.timeoutMs);
    this.loaded.add(k);
    return (performance.now() - t0) / 1e3;
  }

  async run(r: { firstSample: number; samples: number; warmup: number }): Promise<ChunkResult> {
    const order = Array.from({ length: r.samples }, (_, i) => (r.firstSample + i) % this.sets);
    const first = [...new Set([...Array.from({ length: Math.min(r.warmup, this.sets) }, (_, k) => k), ...order])].filter((k) => !this.verified.has(k));
    let setup = 0;
    for (const k of first) if (!this.loaded.has(k)) setup += await this.load(k);
    const rep = await this.w.request('run', { firstRuns: first, sets: order }, this.timeoutMs);
    const v = rep.verification as { ok: boolean; badRow?: number; detail?: string };
    const total = Float64Array.from(rep.total as number[]);
    const t = rep.time as { timed: number; warmup: number; verify: number; flush: number };
    if (v.ok) for (const k of first) this.verified.add(k);
    return {
      total,
      gather: new Float64Array(total.length).fill(NaN),
      copy: new Float64Array(total.length).fill(NaN),
      verification: { ok: v.ok, mode: 'full', rowsVerified: first.length * this.o.batch, ...(v.ok ? {} : { badRow: v.badRow, detail: v.detail }) },
      time: { timed: t.timed, setup, warmup: t.warmup, verify: t.verify, flush: t.flush, launch: 0 },
      checksums: total.length,
    };
  }

  async soak(o: { seconds: number }): Promise<SoakResult> {
    const r = await this.w.request('soak', { seconds: o.seconds }, this.timeoutMs + o.seconds * 1e3);
    return { iterations: r.iterations as number, seconds: r.seconds as number, busySeconds: r.busySeconds as number, cpuSeconds: r.cpuSeconds as number };
  }

  details(): Record<string, string> {
    return this.info;
  }

  async launchLatency(): Promise<null> {
    return null; // timed end to end, like the CPU path: what a user's call costs
  }

  close(): void {}
}
