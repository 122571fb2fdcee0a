/**
 * One side's process, under a time limit: started as the leader of its own process group, so that past its
 * limit (or on Ctrl-C) the whole group goes — a wrapper script's gatherbench and anything it started too, not
 * only the script. Its output goes straight to its log file, never into this process's memory.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface SideExit {
  /** the exit status, or null where a signal ended it */
  status: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  /** killed by us: past its time limit, or forwarded Ctrl-C / SIGTERM */
  killedFor?: 'timeout' | 'SIGINT' | 'SIGTERM';
  /** it could not be started at all */
  error?: string;
}

/** After the group is killed, how long its pipes may stay open (a grandchild that left the group) before we stop waiting. */
const CLOSE_GRACE_MS = 2000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function spawnSide(argv: string[], args: string[], o: { log: string; timeoutSeconds: number; env: NodeJS.ProcessEnv }): Promise<SideExit> {
  const t0 = performance.now();
  const fd = openSync(o.log, 'w');
  return new Promise((resolve) => {
    let killedFor: SideExit['killedFor'];
    let settled = false;
    const child = spawn(argv[0], [...argv.slice(1), ...args], { detached: true, stdio: ['ignore', fd, fd], env: o.env });
    const finish = (x: Omit<SideExit, 'seconds' | 'killedFor'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const [s, h] of Object.entries(handlers)) process.off(s, h);
      closeSync(fd);
      resolve({ ...x, seconds: (performance.now() - t0) / 1e3, ...(killedFor ? { killedFor } : {}) });
    };
    const kill = (why: NonNullable<SideExit['killedFor']>, signal: NodeJS.Signals) => {
      killedFor ??= why;
      killGroup(child.pid, signal);
      // the group is gone; a process that left it may hold nothing we wait for
      setTimeout(() => finish({ status: child.exitCode, signal: child.signalCode ?? signal }), CLOSE_GRACE_MS).unref();
    };
    // Ctrl-C reaches the terminal's foreground group, which a detached side is not in: pass it on.
    const handlers = { SIGINT: () => kill('SIGINT', 'SIGINT'), SIGTERM: () => kill('SIGTERM', 'SIGTERM') };
    for (const [s, h] of Object.entries(handlers)) process.on(s, h);
    const timer = setTimeout(() => kill('timeout', 'SIGKILL'), o.timeoutSeconds * 1e3);
    child.on('error', (e) => finish({ status: null, signal: null, error: e.message }));
    child.on('exit', (status, signal) => {
      // a side that exits leaves nothing of its group behind it to run on unseen
      killGroup(child.pid, 'SIGKILL');
      finish({ status, signal });
    });
  });
}
