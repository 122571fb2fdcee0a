/**
 * `gatherbench selftest --scenario <name|file>`: every point configuration of a scenario through verification
 * only. Each point runs as the scenario would run it (its tables, caches, peers and GPUs), but takes just
 * VERIFY_SAMPLES timed samples after its sets' first, untimed outputs were checked, every sample's output
 * checksummed; no telemetry, no report. "Every shipped scenario verifies on this GPU" is then one command
 * per scenario, at a fraction of the scenario's time.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExitCode, UserError } from '../errors.js';
import { loadRun } from '../results/store.js';
import { VERIFY_SAMPLES } from '../scenario/verify-only.js';
import { runCommand, type RunOptions } from '../cli/run.js';
import { PlainProgress } from '../runner/progress.js';

export async function selftestScenario(ref: string, o: { log: (l: string) => void; run?: Partial<RunOptions> }): Promise<number> {
  const t0 = performance.now();
  const out = mkdtempSync(path.join(os.tmpdir(), 'gb-selftest-'));
  try {
    const quiet = () => {};
    const code = await runCommand(ref, { ...o.run, out, report: false, verifyOnly: true, log: quiet, progress: new PlainProgress(quiet) });
    const made = readdirSync(out);
    if (made.length !== 1) throw new UserError(`selftest --scenario ${ref}: the run left no results`);
    const { run } = loadRun(path.join(out, made[0]));
    const count = (s: string) => run.points.filter((p) => p.status === s).length;
    for (const p of run.points.filter((x) => x.status === 'failed')) o.log(`FAIL ${p.id}: ${p.reason ?? p.verification?.mode ?? ''}`);
    const skipped = count('skipped');
    const reasons = [...new Set(run.points.filter((p) => p.status === 'skipped').map((p) => p.reason))].slice(0, 3);
    o.log(`selftest of scenario '${run.scenario.name}' (${run.scenario.file}) on ${run.backend} in ${((performance.now() - t0) / 1e3).toFixed(1)} s: every point's sets checked before ${VERIFY_SAMPLES} checksummed samples${skipped ? `; ${skipped} skipped (${reasons.join('; ')})` : ''}`);
    o.log(`${count('ok')} passed, ${count('failed')} failed`);
    if (code === ExitCode.interrupted || code === ExitCode.terminated) return code;
    return count('failed') ? ExitCode.failures : count('ok') ? ExitCode.ok : ExitCode.badInput;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
