/**
 * The machine a run happened on, captured once at its start: what a reader
 * needs to trust or compare a number.
 */
import os from 'node:os';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import si from 'systeminformation';
import { packageRoot } from '../paths.js';
import type { BuildInfo, CudaInfo } from '../native/addon.js';

export interface Environment {
  host: { hostname: string; os: string; kernel: string; arch: string; virtualization: string };
  cpu: { model: string; cores: number; physicalCores: number; sockets: number; numaNodes: number };
  memory: { total: number; available: number };
  node: string;
  addon: BuildInfo | { error: string };
  cuda?: CudaInfo;
  gitCommit: string;
}

/** The file a bundle (scripts/bundle.js) records its commit in: a GPU host runs it outside any checkout. */
export const COMMIT_FILE = 'COMMIT';

/** The commit of the code at `root`: its git checkout, else $GATHERBENCH_COMMIT, else the bundle's COMMIT file. */
export function gitCommit(root = packageRoot): string {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    const file = path.join(root, COMMIT_FILE);
    return process.env.GATHERBENCH_COMMIT ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : 'unknown (not a git checkout)');
  }
}

function numaNodes(): number {
  try {
    const out = execFileSync('ls', ['/sys/devices/system/node'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return out.split(/\s+/).filter((n) => /^node\d+$/.test(n)).length || 1;
  } catch {
    return 1;
  }
}

export async function captureEnvironment(addon: BuildInfo | { error: string }, cuda?: CudaInfo): Promise<Environment> {
  const [cpu, osInfo, mem, system] = await Promise.all([si.cpu(), si.osInfo(), si.mem(), si.system()]);
  return {
    host: {
      hostname: os.hostname(),
      os: `${osInfo.distro} ${osInfo.release}`.trim(),
      kernel: osInfo.kernel,
      arch: os.arch(),
      virtualization: system.virtual ? `virtual (${system.virtualHost || 'unknown host'})` : 'none detected',
    },
    cpu: {
      model: `${cpu.manufacturer} ${cpu.brand}`.trim(),
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      sockets: cpu.processors,
      numaNodes: numaNodes(),
    },
    memory: { total: mem.total, available: mem.available },
    node: process.version,
    addon,
    cuda,
    gitCommit: gitCommit(),
  };
}
