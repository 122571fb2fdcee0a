/**
 * Cartesian expansion of a scenario into cases (one method at one point),
 * with each method seeing only its own axes, duplicates merged and
 * `exclude` rules applied.
 */
import { UserError } from '../errors.js';
import { AXES, AXIS_NAMES, DTYPES, axisLabel, type AxisName, type AxisValues, type TableSize } from './axes.js';
import type { Scenario } from './schema.js';
import { METHODS, methodSpec, type MethodSpec } from '../methods.js';

export interface Derived {
  elemBytes: number;
  rowBytes: number;
  tableRows: number;
  tableBytes: number;
  /** bytes a gather delivers: batch x row bytes, times the GPUs gathering at once (bandwidth counts these) */
  usefulBytes: number;
}

export interface Case {
  /** stable across runs: method plus its axis labels; used to match and resume */
  id: string;
  method: string;
  /** the method's own axes, as labels (what tables and CSV show) */
  labels: Partial<Record<AxisName, string>>;
  /** every axis resolved, defaults included (what the native layer needs) */
  values: AxisValues;
  derived: Derived;
}

export function methodsOf(s: Scenario): MethodSpec[] {
  return s.methods === 'all' ? [...METHODS] : s.methods.map((m) => methodSpec(m)!);
}

export function axisValues(s: Scenario, name: AxisName): unknown[] {
  const given = s.axes[name] as unknown[] | undefined;
  if (given) return given;
  return (AXES[name].default as readonly unknown[]).map((v) => AXES[name].schema.parse(v));
}

export function derive(v: AxisValues, gpus = 1): Derived {
  const elemBytes = DTYPES[v.dtype];
  const rowBytes = v.width * elemBytes;
  const tableRows = tableRowsOf(v.table, rowBytes);
  return { elemBytes, rowBytes, tableRows, tableBytes: tableRows * rowBytes, usefulBytes: v.batch * rowBytes * gpus };
}

export function tableRowsOf(t: TableSize, rowBytes: number): number {
  return t.rows ?? Math.floor(t.bytes! / rowBytes);
}

function* cartesian(lists: unknown[][]): Generator<unknown[]> {
  const idx = lists.map(() => 0);
  if (lists.some((l) => l.length === 0)) return;
  for (;;) {
    yield idx.map((i, k) => lists[k][i]);
    let k = lists.length - 1;
    while (k >= 0 && ++idx[k] === lists[k].length) idx[k--] = 0;
    if (k < 0) return;
  }
}

function excluded(s: Scenario, method: string, labels: Partial<Record<AxisName, string>>): boolean {
  return s.exclude.some((rule) =>
    Object.entries(rule).every(([key, raw]) => {
      const wanted = (Array.isArray(raw) ? raw : [raw]).map((v) => {
        if (key === 'method') return String(v);
        const parsed = AXES[key as AxisName].schema.safeParse(v);
        return parsed.success ? axisLabel(key as AxisName, parsed.data) : String(v); // a label, e.g. "zipf(1.1)"
      });
      const actual = key === 'method' ? method : labels[key as AxisName];
      return actual !== undefined && wanted.includes(actual);
    }),
  );
}

export function caseId(method: string, labels: Partial<Record<AxisName, string>>): string {
  return [method, ...AXIS_NAMES.filter((a) => labels[a] !== undefined).map((a) => `${a}=${labels[a]}`)].join(' ');
}

/** The most points one run may expand to: a day of sampling at a second a point (the shipped sweeps have under 500). */
export const MAX_POINTS = 100_000;
/** The most combinations of all axes the expansion walks (each method then keeps its own axes' share). */
export const MAX_COMBINATIONS = 2_000_000;

/**
 * How big a scenario's expansion is, from its axes' sizes alone (before exclusions): each method's points are
 * the product of its own axes' sizes. A sweep past the limits is refused here, with its size and where it
 * comes from, before any list is built (four axes of 40 values made 2.56 million points, ran 107 s silent
 * and ended in a stack overflow).
 */
export function checkExpansionSize(s: Scenario): void {
  const size = (a: AxisName) => axisValues(s, a).length;
  const points = methodsOf(s).reduce((n, m) => n + m.axes.reduce((p, a) => p * size(a), 1), 0);
  const combos = AXIS_NAMES.reduce((p, a) => p * size(a), 1);
  const big = AXIS_NAMES.filter((a) => size(a) > 1).sort((x, y) => size(y) - size(x)).map((a) => `${a} ${size(a)}`).join(' x ');
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (points > MAX_POINTS)
    throw new UserError(`scenario '${s.name}': ${fmt(points)} points (${big} values, over ${methodsOf(s).length} method(s)), more than the ${fmt(MAX_POINTS)} one run may measure; cut an axis or split the sweep into several scenarios`);
  if (combos > MAX_COMBINATIONS)
    throw new UserError(`scenario '${s.name}': its axes multiply to ${fmt(combos)} combinations (${big} values), more than the ${fmt(MAX_COMBINATIONS)} an expansion may walk; cut an axis or split the sweep`);
}

export function expand(s: Scenario): Case[] {
  checkExpansionSize(s);
  const lists = AXIS_NAMES.map((a) => axisValues(s, a));
  const cases = new Map<string, Case>();
  for (const combo of cartesian(lists)) {
    const values = Object.fromEntries(AXIS_NAMES.map((a, i) => [a, combo[i]])) as unknown as AxisValues;
    for (const m of methodsOf(s)) {
      const labels: Partial<Record<AxisName, string>> = {};
      for (const a of m.axes) labels[a] = axisLabel(a, values[a]);
      if (excluded(s, m.name, labels)) continue;
      const id = caseId(m.name, labels);
      if (!cases.has(id)) cases.set(id, { id, method: m.name, labels, values, derived: derive(values, m.axes.includes('gpus') ? values.gpus : 1) });
    }
  }
  return [...cases.values()];
}
