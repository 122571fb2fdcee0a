/**
 * Hostile inputs, generated: scenario YAML, results files, journals, histories and command lines nobody
 * picked for a test. The property is the CLI's promise: a clean refusal (UserError: one line, exit 2) or a
 * result, never another exception (an "internal error"), a stack trace or a hang. Fixed seeds, so a failure
 * reproduces; GATHERBENCH_FUZZ_RUNS=<n> runs n cases per kind instead of the default.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { UserError } from '../harness/errors.js';
import { loadScenario } from '../harness/scenario/load.js';
import { expand } from '../harness/scenario/expand.js';
import { loadRun } from '../harness/results/store.js';
import { compareRunPoints, DEFAULT_COMPARE } from '../harness/compare/verdict.js';
import { renderRunReport } from '../reports/html.js';
import { summaryMarkdown } from '../reports/summary-md.js';
import { findSteps, readHistory } from '../harness/compare/history.js';
import { packageRoot } from '../harness/paths.js';
import { checkoutWrites, tmpDir } from './helpers.js';

const RUNS = Number(process.env.GATHERBENCH_FUZZ_RUNS ?? 0) || undefined;
const runs = (n: number) => ({ numRuns: RUNS ?? n, seed: 20261204, endOnFailure: true });

/** Calls f; a UserError is a clean refusal; anything else fails the property with what it threw. */
function cleanly(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) {
      expect(e.message.split('\n').length, e.message).toBeLessThanOrEqual(3);
      return;
    }
    throw new Error(`not a clean refusal: ${(e as Error)?.stack ?? String(e)}`);
  }
}

// Values at every limit: wrong types, empty and long lists, huge and odd numbers, unicode.
const weird = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, -0, 1e308, 1e-308, Number.NaN, Number.POSITIVE_INFINITY, 0.5, '', ' ', 'all', 'auto', '64TiB', '1e9 rows', '0B', 'zipf(1.1)', '∞', 'ünïcødé', '\u0000', null, true, [], {}),
  fc.integer({ min: -1000, max: 1 << 20 }),
  fc.double(),
  fc.string({ maxLength: 12 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, weird, fc.array(tie('v'), { maxLength: 6 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 })),
})).v;
const AXES = ['width', 'dtype', 'batch', 'table', 'distribution', 'contention', 'gpus', 'cache', 'threads', 'alloc', 'vector', 'mapping', 'pipeline', 'block', 'grid', 'device', 'uvmAdvise', 'uvmReset', 'nonsense'];
const scenarioObject = fc.record(
  {
    name: fc.oneof(fc.constantFrom('fuzz', 'a.b-c_d', '', '../x', 'ünï'), weird),
    description: fc.oneof(fc.string(), weird),
    methods: fc.oneof(fc.constant('all'), fc.array(fc.constantFrom('host-gather-copy', 'host-memcpy', 'zerocopy-aligned', 'teleport'), { maxLength: 3 }), weird),
    seed: weird,
    axes: fc.oneof(fc.dictionary(fc.constantFrom(...AXES), fc.oneof(fc.array(value, { maxLength: 8 }), value), { maxKeys: 5 }), weird),
    exclude: fc.oneof(fc.array(fc.dictionary(fc.constantFrom('method', ...AXES), value, { maxKeys: 2 }), { maxLength: 3 }), weird),
    sampling: fc.oneof(fc.dictionary(fc.constantFrom('warmup', 'minSamples', 'maxSamples', 'budget', 'precision', 'minTime', 'flush'), value, { maxKeys: 4 }), weird),
    telemetry: fc.oneof(fc.dictionary(fc.constantFrom('interval', 'window', 'idle'), value, { maxKeys: 3 }), weird),
  },
  { requiredKeys: [] },
);

/** A text with bytes cut out, doubled or replaced at random places. */
const mutated = (text: string) =>
  fc.array(fc.tuple(fc.nat(text.length), fc.nat(40), fc.constantFrom('', ':', '-', '[', '{', '*a', '&a ', '<<: *a\n', '\n  ', '"', '9', 'NaN', '\u00e9')), { minLength: 1, maxLength: 4 }).map((edits) => {
    let t = text;
    for (const [at, cut, put] of edits) t = t.slice(0, at % (t.length + 1)) + put + t.slice((at % (t.length + 1)) + cut);
    return t;
  });

describe('fuzzed scenario files', () => {
  const dir = tmpDir('gb-fuzz-scenario-');
  const load = (text: string) =>
    cleanly(() => {
      const file = path.join(dir, 'x.yaml');
      writeFileSync(file, text);
      const s = loadScenario(file).scenario;
      expand(s);
    });

  it('generated ones load and expand, or are refused in one line', () => {
    fc.assert(fc.property(scenarioObject, (o) => load(stringify(o))), runs(1500));
  }, 60000);

  it('mutations of the shipped scenarios (anchors, merge keys, cut bytes) too', () => {
    const shipped = readdirSync(path.join(packageRoot, 'scenarios')).map((f) => readFileSync(path.join(packageRoot, 'scenarios', f), 'utf8'));
    fc.assert(fc.property(fc.constantFrom(...shipped).chain(mutated), load), runs(1500));
  }, 60000);

  it('a sweep too large to expand is refused at once with its size', () => {
    const forty = Array.from({ length: 40 }, (_, i) => i + 1);
    const t0 = performance.now();
    expect(() => load(stringify({ name: 'huge', methods: ['host-gather-copy'], axes: { width: forty, batch: forty, threads: forty, contention: forty } }))).not.toThrow();
    expect(() => expand(loadScenario(path.join(dir, 'x.yaml')).scenario)).toThrow(/2,560,000 points \(width 40 x batch 40 x threads 40 x contention 40 values, over 1 method\(s\)\), more than the 100,000 one run may measure/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('fuzzed results files, journals and histories', () => {
  const source = readFileSync(path.join(packageRoot, 'docs/runs/h200-nightly-ab/slow-10/results.json'), 'utf8');
  const base = loadRun(path.join(packageRoot, 'docs/runs/h200-nightly-ab/slow-10')).run;
  const data = JSON.parse(source) as Record<string, unknown>;
  // Paths into the file: the generator picks one and puts a weird value there (or deletes it).
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, at: (string | number)[]) => {
    if (at.length > 5 || paths.length > 4000) return;
    paths.push(at);
    if (Array.isArray(v)) v.slice(0, 3).forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(data, []);
  const edit = fc.array(fc.tuple(fc.constantFrom(...paths.slice(1)), fc.oneof(weird, fc.constant(undefined))), { minLength: 1, maxLength: 3 }).map((edits) => {
    const copy = structuredClone(data);
    for (const [at, v] of edits) {
      let o = copy as Record<string | number, unknown>;
      for (const k of at.slice(0, -1)) o = (o?.[k] ?? {}) as Record<string | number, unknown>;
      if (o && typeof o === 'object') {
        if (v === undefined) delete o[at[at.length - 1]];
        else o[at[at.length - 1]] = v;
      }
    }
    return JSON.stringify(copy);
  });
  const dir = tmpDir('gb-fuzz-results-');
  /** Loads a results text; what loads must also report, summarize and compare without an exception. */
  const use = (text: string, journal?: string) =>
    cleanly(() => {
      writeFileSync(path.join(dir, 'results.json'), text);
      writeFileSync(path.join(dir, 'points.jsonl'), journal ?? '');
      const { run } = loadRun(dir);
      renderRunReport(run);
      summaryMarkdown(run);
      compareRunPoints([base, base, base], run, DEFAULT_COMPARE);
      compareRunPoints([run, base, base], base, DEFAULT_COMPARE);
    });

  it('mutated fields (wrong types, NaN, negative, huge, missing, extra) load and report, or are refused in one line', () => {
    fc.assert(fc.property(edit, (t) => use(t)), runs(1700));
  }, 60000);

  it('truncated and byte-mutated files too', () => {
    fc.assert(fc.property(fc.oneof(fc.nat(source.length).map((n) => source.slice(0, n)), mutated(source)), (t) => use(t)), runs(300));
  }, 60000);

  it('a journal of points a killed run left, mutated, is read with the run or refused', () => {
    const line = JSON.stringify((data.points as unknown[])[0]);
    const other = (p: string) => p.replace(/"id":"[^"]*"/, '"id":"journaled x"');
    fc.assert(fc.property(fc.oneof(mutated(other(line)), fc.constant(other(line)), fc.constant('{'), fc.constant('[]')), (j) => use(source, j + '\n')), runs(2000));
  }, 60000);

  it('history files with mutated lines are read and searched for steps, or refused', () => {
    const record = { run: 'r', date: '2026-12-04T00:00:00Z', commit: 'c', model: 'H200', driver: 'd', scenario: 'nightly', id: 'p x', method: 'p', status: 'ok', medianS: 1e-3, GBps: 1 };
    const line = fc.oneof(fc.constant(JSON.stringify(record)), fc.record({ medianS: weird, date: weird, id: weird, status: weird }).map((o) => JSON.stringify({ ...record, ...o })), fc.string({ maxLength: 30 }));
    const file = path.join(dir, 'history.jsonl');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) =>
        cleanly(() => {
          writeFileSync(file, lines.join('\n'));
          findSteps(readHistory(file), 0.05);
        }),
      ),
      runs(2000),
    );
  }, 60000);
});

describe('fuzzed command lines', () => {
  const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
  const cwd = tmpDir('gb-fuzz-cli-');
  mkdirSync(path.join(cwd, 'run'), { recursive: true });
  copyFileSync(path.join(packageRoot, 'docs/runs/h200-nightly-ab/slow-10/results.json'), path.join(cwd, 'run', 'results.json'));
  writeFileSync(path.join(cwd, 'tiny.yaml'), 'name: tiny\nmethods: [host-memcpy]\naxes: { width: [8], batch: [64], table: ["1000 rows"] }\nsampling: { minSamples: 3, maxSamples: 5, budget: 50ms }\ntelemetry: { window: 0, idle: 0 }\n');
  const commands = ['run', 'list', 'info', 'report', 'model', 'merge', 'compare', 'gate-study', 'ab', 'baseline', 'history', 'selftest', 'nosuch', 'help'];
  const args = fc.constantFrom('tiny.yaml', 'run', 'run/results.json', '/etc/hostname/x', '-o', '--out', '--threshold', '150%', '5', '-1', 'NaN', '--rounds', '1', '--alpha', '2', '--budget', 'lots', '--methods', 'teleport', '--json', '--help', '--no-report', '--resume', '--only', 'save', 'append', '--file', '@nightly', '--plant', '--baselines', '0', '', 'ünï', '--', '-x');
  const argv = fc.tuple(fc.constantFrom(...commands), fc.array(args, { maxLength: 5 }));
  writeFileSync(path.join(cwd, 'bad.yaml'), 'name: [\n');
  // In process, a run names its scenario: the default sweep (seconds of real measuring) is left to the
  // spawned vectors, which meet it as a user does.
  const inProcess = argv.chain(([cmd, rest]) =>
    cmd === 'run' ? fc.constantFrom('tiny.yaml', 'bad.yaml', 'missing.yaml', 'run', '/etc/hostname/x', 'ünï').map((s) => [cmd, [s, ...rest]] as [string, string[]]) : fc.constant([cmd, rest] as [string, string[]]),
  );

  // In process, through the CLI's own entry point: thousands of vectors in seconds. The spawned ones below
  // check the same promise as a user meets it, a process's exit status and stderr, on fewer vectors.
  it('in process: every vector ends in exit 0, 1 or 2 with a few lines at most on stderr and no internal error', async () => {
    const before = checkoutWrites(packageRoot);
    const here = process.cwd();
    const { main } = await import('../harness/cli.js');
    process.chdir(cwd);
    const out = process.stdout.write, err = process.stderr.write;
    let stderr = '';
    try {
      await fc.assert(
        fc.asyncProperty(inProcess, async ([cmd, rest]) => {
          stderr = '';
          process.stdout.write = (() => true) as typeof process.stdout.write;
          process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
          let code: number;
          try {
            code = await main(['node', 'gatherbench', cmd, ...rest], () => {});
          } finally {
            process.stdout.write = out;
            process.stderr.write = err;
          }
          const what = `gatherbench ${[cmd, ...rest].join(' ')}: exit ${code}\n${stderr}`;
          expect([0, 1, 2], what).toContain(code);
          expect(stderr, what).not.toMatch(/internal error|\n\s+at .+\(.*:\d+:\d+\)/);
          expect(stderr.trim().split('\n').length, what).toBeLessThanOrEqual(3);
        }),
        runs(2000),
      );
    } finally {
      process.chdir(here);
    }
    expect(checkoutWrites(packageRoot)).toEqual(before);
  }, 300000);

  it('every command answers with exit 0, 1 or 2, a few lines at most on stderr, no internal error, nothing written outside its folder', () => {
    const before = checkoutWrites(packageRoot);
    fc.assert(
      fc.property(argv, ([cmd, rest]) => {
        const r = spawnSync(process.execPath, [bin, cmd, ...rest], { cwd, encoding: 'utf8', timeout: 20000, env: { ...process.env, CI: 'true', GATHERBENCH_BASELINES: path.join(cwd, 'baselines') } });
        const what = `gatherbench ${[cmd, ...rest].join(' ')}: exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`;
        expect([0, 1, 2], what).toContain(r.status);
        expect(r.stderr, what).not.toMatch(/internal error|\n\s+at .+\(.*:\d+:\d+\)/);
        expect(r.stderr.trim().split('\n').length, what).toBeLessThanOrEqual(3);
      }),
      runs(20),
    );
    // writes stayed under the folder it ran in (results/, baselines/, reports): the checkout is as the user left it
    expect(checkoutWrites(packageRoot)).toEqual(before);
  }, 300000);
});
