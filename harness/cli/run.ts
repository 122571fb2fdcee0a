/** `gatherbench run`: load, check, measure, save point by point, report. */
import os from 'node:os';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { checkOutputDir, checkOutputFile } from '../output-path.js';
import { loadAddon, type Addon } from '../native/addon.js';
import { availability, methodSpec } from '../methods.js';
import { displayPath, loadScenario } from '../scenario/load.js';
import { expand, type Case } from '../scenario/expand.js';
import { checkFeasible } from '../scenario/feasibility.js';
import type { Scenario } from '../scenario/schema.js';
import { captureEnvironment } from '../env/environment.js';
import { HOST_ONLY_LABEL, RESULTS_SCHEMA, type RunResults } from '../results/model.js';
import { loadRun, newRunDir, saveRun } from '../results/store.js';
import { toMarkdown } from '../results/markdown.js';
import { runCases } from '../runner/runner.js';
import { makeProgress, type Progress } from '../runner/progress.js';
import { writeRunReport } from '../../reports/write-report.js';
import { parseSeconds } from '../units.js';
import { version } from '../version.js';
import { Telemetry, telemetryWarnings } from '../telemetry/session.js';
import { appendHistory } from '../compare/history.js';
import { PeerSession } from '../peers/session.js';
import { addTiming, closeTiming, emptyTiming, runCostLine, timingLine } from '../results/timing.js';
import { testSwitchWarnings } from '../native/facts.js';
import { performance } from 'node:perf_hooks';
import { verifyOnly } from '../scenario/verify-only.js';

export interface RunOptions {
  out?: string;
  resume?: string;
  methods?: string;
  /** a file of point ids, one per line: measure only these (what compare --confirm re-measures) */
  only?: string;
  budget?: string;
  /** false: warm samples (no cache flush between samples) */
  flush?: boolean;
  /** the Python interpreter of the peer methods (else $GATHERBENCH_PYTHON, else python3) */
  python?: string;
  /** for tests: a stand-in peer worker script, and how long it may take to answer */
  peerScript?: string;
  peerTimeoutMs?: number;
  report?: boolean;
  history?: string;
  /** for tests: the addon (e.g. one whose calls are watched), a progress sink and an abort signal instead of SIGINT */
  addon?: Addon;
  progress?: Progress;
  signal?: AbortSignal;
  log?: (line: string) => void;
  availableHostBytes?: number;
  /** selftest --scenario: verification only (harness/selftest/scenario.ts) */
  verifyOnly?: boolean;
}

function requireAddon(): Addon {
  const { addon, loadError } = loadAddon();
  if (!addon) throw new UserError(loadError!);
  return addon;
}

/** Applies command-line overrides and resolves alloc 'auto' for this machine. */
function resolveScenario(s: Scenario, o: RunOptions, cudaUsable: boolean): Scenario {
  const out: Scenario = structuredClone(o.verifyOnly ? verifyOnly(s) : s);
  if (o.methods) {
    const names = o.methods.split(',').map((m) => m.trim()).filter(Boolean);
    for (const n of names) if (!methodSpec(n)) throw new UserError(`--methods: unknown method '${n}' (see gatherbench list)`);
    out.methods = names;
  }
  if (o.budget) out.sampling.budget = parseSeconds(o.budget);
  if (o.flush === false) out.sampling.flush = false;
  if (out.axes.alloc) out.axes.alloc = [...new Set(out.axes.alloc.map((a) => (a === 'auto' ? (cudaUsable ? 'hostalloc' : 'malloc') : a)))];
  else out.axes.alloc = [cudaUsable ? 'hostalloc' : 'malloc'];
  return out;
}

/** Whether a run's methods include a peer method. */
function wantsPeers(methods: Scenario['methods']): boolean {
  return methods === 'all' || methods.some((m) => methodSpec(m)?.backend === 'peer');
}

/** -o and --history name places the run can write to: checked before anything is measured. */
function checkOutputPaths(o: RunOptions): void {
  checkOutputDir('-o', o.out ?? 'results');
  if (o.history) checkOutputFile('--history', o.history);
}

/** The point ids of an --only file, each checked against the scenario's. */
function readOnly(file: string, cases: Case[]): string[] {
  if (!existsSync(file) || statSync(file).isDirectory()) throw new UserError(`--only ${file}: no such file`);
  const ids = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const known = new Set(cases.map((c) => c.id));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown) throw new UserError(`--only ${file}: '${unknown}' is not a point of this scenario`);
  if (!ids.length) throw new UserError(`--only ${file}: no point ids in it`);
  return ids;
}

/** A run directory made for a run that turned out to have nothing to measure. */
function rmEmptyRun(dir: string, run: RunResults): void {
  if (run.points.length === 0) rmSync(dir, { recursive: true, force: true });
}

export async function runCommand(ref: string | undefined, o: RunOptions = {}): Promise<number> {
  const tStart = performance.now();
  const log = o.log ?? ((l: string) => process.stdout.write(l + '\n'));
  if (o.resume) {
    // A resumed run finishes with the settings it started with, so its points stay comparable.
    const changed = [o.methods && '--methods', o.budget && '--budget', o.flush === false && '--no-flush', o.only && '--only', ref && 'a scenario'].filter(Boolean);
    if (changed.length) throw new UserError(`--resume finishes a run with the settings it started with; ${changed.join(', ')} cannot be given with it`);
  }
  checkOutputPaths(o);
  const addon = o.addon ?? requireAddon();
  const build = addon.buildInfo();
  const cuda = build.cuda ? addon.cudaInfo() : undefined;
  // What the run is, read once: the run being resumed, or the scenario.
  const resumed = o.resume ? loadRun(o.resume) : undefined;
  const loaded = resumed ? undefined : loadScenario(ref ?? 'default');
  const methods = resumed ? resumed.run.scenario.methods : o.methods ? o.methods.split(',').map((m) => m.trim()) : loaded!.scenario.methods;
  // The peer worker is asked only where the run has peer methods (its Python import of torch takes seconds).
  const peers = wantsPeers(methods) ? await PeerSession.open({ python: o.python, script: o.peerScript, timeoutMs: o.peerTimeoutMs }) : undefined;
  const avail = availability(addon, undefined, cuda, peers?.info);

  let dir: string;
  let run: RunResults;
  if (resumed) {
    ({ dir, run } = resumed);
    if (run.status === 'complete') {
      log(`${dir}: already complete (${run.points.length} points); nothing to resume`);
      return ExitCode.ok;
    }
    run.status = 'running';
  } else {
    const { file, scenario } = loaded!;
    const resolved = resolveScenario(scenario, o, !!cuda?.available);
    const shown = displayPath(file);
    const wanted = new Set((resolved.methods === 'all' ? avail.map((a) => a.method) : resolved.methods));
    const all = expand(resolved);
    const only = o.only ? readOnly(o.only, all) : undefined;
    checkFeasible(resolved, all.filter((c) => !only || only.includes(c.id)), shown, o.availableHostBytes ?? os.freemem());
    dir = newRunDir(o.out ?? 'results', resolved.name);
    run = {
      schema: RESULTS_SCHEMA,
      tool: { name: 'gatherbench', version },
      scenario: { ...resolved, file: shown },
      backend: cuda?.available ? `cuda: ${cuda.devices.map((d) => d.name).join(', ')}` : HOST_ONLY_LABEL,
      hostOnly: !cuda?.available,
      status: 'running',
      startedAt: new Date().toISOString(),
      environment: await captureEnvironment(build, cuda),
      unavailable: avail.filter((a) => !a.available && wanted.has(a.method)).map((a) => ({ method: a.method, reason: a.reason! })),
      plannedPoints: 0,
      points: [],
      ...(only ? { only } : {}),
    };
  }

  const usable = new Set(avail.filter((a) => a.available).map((a) => a.method));
  const cases = expand(run.scenario).filter((c) => usable.has(c.method) && (!run.only || run.only.includes(c.id)));
  if (!cases.length) {
    rmEmptyRun(dir, run);
    const why = run.unavailable.map((u) => `${u.method}: ${u.reason}`).join('; ');
    throw new UserError(`nothing to measure on this machine${why ? ` (${why})` : ''}`);
  }
  run.plannedPoints = cases.length;
  saveRun(dir, run);

  log(`gatherbench ${version}: scenario '${run.scenario.name}' (${run.scenario.file}) on ${run.backend}`);
  const byReason = new Map<string, string[]>();
  for (const u of run.unavailable) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.method]);
  for (const [reason, methods] of byReason) log(`  unavailable (${methods.join(', ')}): ${reason}`);
  const left = cases.filter((c) => !run.points.some((p) => p.id === c.id)).length;
  log(`  ${left} of ${cases.length} points to measure, at most ${run.scenario.sampling.budget}s of sampling each; results in ${dir}`);

  const facts = addon.facts();
  const sameDevice = facts.testSwitches.sameDevice;
  for (const w of testSwitchWarnings(facts)) {
    run.warnings = [...new Set([...(run.warnings ?? []), w])];
    log(`warning: ${w}`);
  }
  if (run.scenario.sampling.flush === false) {
    const w = 'warm samples (sampling.flush: false): each sample finds the caches and address translation the previous one left';
    run.warnings = [...new Set([...(run.warnings ?? []), w])];
    log(`note: ${w}`);
  }
  // Interrupts are caught from here on, the idle window included: Ctrl-C (SIGINT) and SIGTERM (a
  // scheduler's time limit) finish the chunk in flight, save, and say how to resume.
  const controller = new AbortController();
  const signal = o.signal ?? controller.signal;
  let stopSignal: 'SIGINT' | 'SIGTERM' | undefined;
  const resumeHint = () => `interrupted with ${run.points.length} of ${run.plannedPoints} points saved; finish with: gatherbench run --resume ${dir}`;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
    if (stopSignal) {
      // every finished point is already on disk
      log(`\n${resumeHint()}`);
      process.exit(name === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
    }
    stopSignal = name;
    log(`\ninterrupted (${name}): finishing the current chunk of samples, then saving (${name === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to quit now)`);
    controller.abort();
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  if (!o.signal) for (const [s, h] of Object.entries(handlers)) process.on(s, h);
  const timing = emptyTiming();
  timing.startupSeconds = (performance.now() - tStart) / 1e3;
  const tc = run.scenario.telemetry;
  let t0 = performance.now();
  const telemetry = await Telemetry.open(addon, cuda, { intervalMs: tc.interval * 1e3, windowSeconds: tc.window, idleSeconds: tc.idle, energy: tc.energy ?? false });
  timing.telemetrySeconds += (performance.now() - t0) / 1e3;
  if (!run.telemetry) {
    run.telemetry = telemetry.info;
    // Idle power is what the window is for: without a power source it would only wait.
    if (tc.idle > 0 && left > 0 && telemetry.measuresPower) {
      log(`  measuring idle power and load for ${tc.idle}s...`);
      t0 = performance.now();
      await telemetry.measureIdle(signal);
      timing.idleSeconds += (performance.now() - t0) / 1e3;
    }
  }
  for (const line of Telemetry.describe(run.telemetry)) if (line.includes('unavailable')) log(`  ${line}`);

  const progress = o.progress ?? makeProgress();
  progress.start(left);
  try {
    await runCases(cases, {
      addon,
      run,
      dir,
      progress,
      signal,
      deviceOf: (c: Case) => (methodSpec(c.method)!.backend === 'host' ? 'host' : cuda?.devices[c.values.device]?.name ?? `cuda:${c.values.device}`),
      telemetry: tc.window > 0 ? telemetry : undefined,
      timing,
      peers,
      gpuUuidsOf: (c: Case) => {
        if (methodSpec(c.method)!.backend === 'host' || !cuda) return undefined;
        const n = sameDevice || methodSpec(c.method)!.backend === 'peer' ? 1 : c.values.gpus;
        return cuda.devices.slice(c.values.device, c.values.device + n).map((d) => d.uuid);
      },
      precheck: (c: Case) => {
        if (methodSpec(c.method)!.backend !== 'cuda') return undefined;
        const have = cuda?.devices.length ?? 0;
        const last = c.values.device + (sameDevice ? 0 : c.values.gpus - 1);
        if (last < have) return undefined;
        return c.values.gpus > 1 ? `needs GPUs ${c.values.device} to ${last}; this machine has ${have}` : `no CUDA device ${c.values.device} (this machine has ${have})`;
      },
    });
  } finally {
    await telemetry.stop();
    await peers?.close();
    progress.stop();
    if (!o.signal) for (const [s, h] of Object.entries(handlers)) process.off(s, h);
  }

  run.status = signal.aborted ? 'interrupted' : 'complete';
  const telemetryW = telemetryWarnings(run.telemetry, run.points);
  run.warnings = [...new Set([...(run.warnings ?? []), ...telemetryW])];
  for (const w of telemetryW) log(`warning: ${w}`);
  run.finishedAt = new Date().toISOString();
  // This session's accounting, added to what earlier sessions of a resumed run spent.
  const previous = run.timing;
  const total = () => {
    const t = closeTiming(structuredClone(timing), (performance.now() - tStart) / 1e3);
    if (!previous) return t;
    return closeTiming(addTiming(structuredClone(t), previous), t.wallSeconds + previous.wallSeconds);
  };
  run.timing = total();
  t0 = performance.now();
  saveRun(dir, run);
  const report = o.report === false ? undefined : writeRunReport(dir, run);
  timing.reportSeconds += (performance.now() - t0) / 1e3;
  run.timing = total();
  t0 = performance.now();
  saveRun(dir, run);
  timing.reportSeconds += (performance.now() - t0) / 1e3;
  if (run.points.length <= 60) log('\n' + toMarkdown(run));
  log(`results: ${path.join(dir, 'results.csv')}, ${path.join(dir, 'results.json')}`);
  if (report) log(`report:  ${report}`);
  log(timingLine(run.timing));
  const byMethod = runCostLine(run.points, run.timing);
  if (byMethod) log(byMethod);
  if (o.history && run.status === 'complete') log(`history: appended ${appendHistory(o.history, dir, run)} points to ${o.history}`);
  if (signal.aborted) {
    log(resumeHint());
    return stopSignal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  }
  const failed = run.points.filter((p) => p.status === 'failed').length;
  if (failed) log(`${failed} point(s) failed; see the report`);
  if (!failed && run.points.every((p) => p.status === 'skipped')) {
    log(`nothing was measured: every point was skipped (${[...new Set(run.points.map((p) => p.reason))].slice(0, 3).join('; ')})`);
    return ExitCode.badInput;
  }
  return failed ? ExitCode.failures : ExitCode.ok;
}
