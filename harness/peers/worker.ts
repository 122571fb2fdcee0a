/**
 * A peer worker process (harness/peers/torch_worker.py, or a stand-in):
 * JSON lines over stdin/stdout, one reply per request. A worker that exits or
 * does not answer in time fails the request with the tail of its stderr, and
 * is replaced on the next start; it never takes the run down.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface WorkerReply {
  id: number;
  ok: boolean;
  code?: string;
  error?: string;
  [k: string]: unknown;
}

/** A failed request: `code` as the addon's errors have (UNSUPPORTED, OOM, CUDA, WORKER...). */
export class PeerError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class PeerWorker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stderr = '';
  private exited: string | undefined;

  constructor(readonly command: string, readonly args: string[]) {
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    // An idle worker does not hold gatherbench open: a run that ends early still exits (and 'exit' below reaps
    // the worker); while a request waits, its timer keeps the process alive.
    this.proc.unref();
    for (const pipe of [this.proc.stdin, this.proc.stdout, this.proc.stderr]) (pipe as unknown as { unref?: () => void }).unref?.();
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let r: WorkerReply;
      try {
        r = JSON.parse(line);
      } catch {
        return; // not a reply (a stray print): the request it belonged to times out with the stderr tail
      }
      const w = this.waiting.get(r.id);
      if (!w) return;
      clearTimeout(w.timer);
      this.waiting.delete(r.id);
      w.resolve(r);
    });
    const gone = (why: string) => {
      this.exited ??= why;
      for (const [, w] of this.waiting) {
        clearTimeout(w.timer);
        w.reject(new PeerError('WORKER', `the peer worker ${why}${this.tail()}`));
      }
      this.waiting.clear();
    };
    this.proc.on('exit', (code, signal) => gone(signal ? `was killed (${signal})` : `exited with code ${code}`));
    this.proc.on('error', (e) => gone(`could not start: ${e.message}`));
    this.proc.stdin.on('error', () => undefined); // a dead worker's pipe: reported through 'exit'
    // gatherbench never leaves a worker behind, however it ends
    const reap = () => this.proc.kill('SIGKILL');
    process.once('exit', reap);
    this.proc.once('exit', () => process.off('exit', reap));
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  private tail(): string {
    const t = this.stderr.trim().split('\n').slice(-3).join(' | ');
    return t ? `; its stderr: ${t}` : '';
  }

  /** One request; rejects with PeerError on a refusal, a dead worker or no answer within timeoutMs. */
  async request(op: string, body: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<WorkerReply> {
    if (this.exited) throw new PeerError('WORKER', `the peer worker ${this.exited}${this.tail()}`);
    const id = this.next++;
    const r = await new Promise<WorkerReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.kill();
        reject(new PeerError('WORKER', `the peer worker did not answer '${op}' within ${(timeoutMs / 1e3).toFixed(0)} s and was stopped${this.tail()}`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.proc.stdin.write(JSON.stringify({ id, op, ...body }) + '\n');
    });
    if (!r.ok) throw new PeerError(r.code ?? 'WORKER', r.error ?? `'${op}' failed`);
    return r;
  }

  kill(): void {
    this.exited ??= 'was stopped';
    this.proc.kill('SIGKILL');
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    await this.request('close', {}, 5_000).catch(() => undefined);
    this.kill();
  }
}
