import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../harness/scenario/load.js';
import { UserError } from '../harness/errors.js';
import { scenarioFile, scenario } from './helpers.js';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('scenario schema errors', () => {
  it('names the file, the path inside it and the reason', () => {
    const file = scenarioFile('name: x\naxes:\n  width: [16, 32, -4]\n');
    expect(errorOf(() => loadScenario(file))).toMatch(/x\.yaml: axes\.width\[2\]: expected a positive integer, got -4$/);
  });

  it('reports unknown keys, with the path', () => {
    expect(errorOf(() => parseScenario({ name: 'x', axes: { widht: [1] } }, 's.yaml'))).toBe("s.yaml: axes: unknown key 'widht'");
    expect(errorOf(() => parseScenario({ name: 'x', sampling: { budjet: 1 } }, 's.yaml'))).toBe("s.yaml: sampling: unknown key 'budjet'");
  });

  it('reports the deepest failing branch of a distribution', () => {
    expect(errorOf(() => parseScenario({ name: 'x', axes: { distribution: [{ kind: 'zipf', exponent: -1 }] } }, 's.yaml'))).toBe(
      's.yaml: axes.distribution[0].exponent: expected a positive exponent, got -1',
    );
  });

  it('rejects non-integer and wrongly typed values', () => {
    expect(errorOf(() => parseScenario({ name: 'x', axes: { batch: [1.5] } }, 's.yaml'))).toBe('s.yaml: axes.batch[0]: expected a positive integer, got 1.5');
    expect(errorOf(() => parseScenario({ name: 'x', axes: { dtype: ['fp8'] } }, 's.yaml'))).toMatch(/^s\.yaml: axes\.dtype\[0\]: .*got "fp8"$/);
    expect(errorOf(() => parseScenario({ name: 'x', axes: { table: ['lots'] } }, 's.yaml'))).toBe(
      's.yaml: axes.table[0]: expected a size like "256MiB" or "100000 rows", got "lots"',
    );
    expect(errorOf(() => parseScenario({ name: 'x', methods: ['warp-drive'] }, 's.yaml'))).toMatch(/^s\.yaml: methods\[0\]: .*got "warp-drive"$/);
  });

  it('checks sampling limits against each other', () => {
    expect(errorOf(() => parseScenario({ name: 'x', sampling: { minSamples: 20, maxSamples: 10 } }, 's.yaml'))).toMatch(/maxSamples must be >= minSamples/);
    expect(errorOf(() => parseScenario({ name: 'x', sampling: { budget: 'soon' } }, 's.yaml'))).toMatch(/sampling\.budget: expected a duration/);
  });

  it('checks exclude rules against the axes', () => {
    expect(errorOf(() => parseScenario({ name: 'x', exclude: [{ width: 'wide' }] }, 's.yaml'))).toMatch(/^s\.yaml: exclude\[0\]\.width: .*got "wide" \(values here: 256\)$/);
    expect(errorOf(() => parseScenario({ name: 'x', exclude: [{ colour: 1 }] }, 's.yaml'))).toMatch(/^s\.yaml: exclude\[0\]/);
  });

  it('reports YAML syntax errors with line and column, on one line', () => {
    const file = scenarioFile('name: x\naxes: [unclosed\n');
    const msg = errorOf(() => loadScenario(file));
    expect(msg).toMatch(/x\.yaml:\d+:\d+: YAML: /);
    expect(msg).not.toContain('\n');
  });

  it('reports a missing file', () => {
    expect(errorOf(() => loadScenario('/nonexistent/s.yaml'))).toBe('/nonexistent/s.yaml: no such scenario file');
  });

  it('fills defaults and parses sizes and durations', () => {
    const s = scenario({ axes: { table: ['1GiB', '1000 rows', 4096] }, sampling: { budget: '500ms' } });
    expect(s.axes.table).toEqual([{ bytes: 2 ** 30 }, { rows: 1000 }, { bytes: 4096 }]);
    expect(s.sampling).toMatchObject({ budget: 0.5, warmup: 3, minSamples: 10, precision: 0.02 });
    expect(s.methods).toBe('all');
  });

  it('loads every shipped scenario', () => {
    for (const name of ['default', 'cuda-paths']) expect(loadScenario(name).scenario.name).toBe(name);
  });
});
