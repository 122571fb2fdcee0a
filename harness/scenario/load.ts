/**
 * Reads a scenario by name or path and validates it. Every error names the
 * file, the path inside it and the reason, on one line.
 */
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { scenariosDir } from '../paths.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { AXES, axisLabel, type AxisName } from './axes.js';
import { axisValues, expand } from './expand.js';

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

/** "default" -> scenarios/default.yaml; anything with a slash or .yaml is a path. */
export function resolveScenarioPath(ref: string): string {
  if (ref.includes('/') || ref.endsWith('.yaml') || ref.endsWith('.yml')) return ref;
  return path.join(scenariosDir, `${ref}.yaml`);
}

export function listScenarios(): { name: string; file: string; description: string; points?: number }[] {
  if (!existsSync(scenariosDir)) return [];
  return readdirSync(scenariosDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = path.join(scenariosDir, f);
      try {
        const s = loadScenario(file).scenario;
        return { name: s.name, file, description: s.description, points: expand(s).length };
      } catch (e) {
        return { name: f.replace(/\.yaml$/, ''), file, description: `INVALID: ${(e as Error).message}` };
      }
    });
}

/** A path as the user would want to read it: relative below the working directory, else as given. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function loadScenario(ref: string): LoadedScenario {
  const file = resolveScenarioPath(ref);
  const shown = displayPath(file);
  if (!existsSync(file)) throw new UserError(`${shown}: no such scenario file`);
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const reason = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new UserError(`${shown}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML: ${reason}`);
    }
    // the yaml library throws plain errors too (an alias to an anchor not yet set is a ReferenceError)
    throw new UserError(`${shown}: YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (isCircular(data)) throw new UserError(`${shown}: YAML: an alias refers to the value that contains it (a structure with no end)`);
  return { file, scenario: parseScenario(data, shown) };
}

export function parseScenario(data: unknown, shown: string): Scenario {
  const r = scenarioSchema.safeParse(data ?? {}, { reportInput: true });
  if (!r.success) throw new UserError(`${shown}: ${formatIssue(r.error.issues)}`);
  validateExcludes(r.data, shown);
  return r.data;
}

/** What the user wrote, as JSON, at most 60 characters: an error line never echoes a whole file back. */
function shortJson(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? 'nothing';
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Aliases can make YAML that refers to itself; such a value has no end. */
function isCircular(v: unknown, seen = new Set<unknown>()): boolean {
  if (!v || typeof v !== 'object') return false;
  if (seen.has(v)) return true;
  seen.add(v);
  const circular = Object.values(v).some((x) => isCircular(x, seen));
  seen.delete(v);
  return circular;
}

function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`;
  return out || '(top level)';
}

/** One line for the first issue: where, what was expected, and (shortened) what was found. */
export function formatIssue(issues: z.core.$ZodIssue[]): string {
  const first = deepest(issues[0]);
  let msg = first.message;
  if (first.code === 'unrecognized_keys') msg = `unknown key${first.keys.length > 1 ? 's' : ''} ${first.keys.map((k) => `'${k}'`).join(', ')}`;
  else if ('input' in first && !/\bgot\b/.test(msg)) msg += `, got ${shortJson(first.input)}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${formatPath(first.path)}: ${msg}${more}`;
}

/** For a union, report the branch that got furthest rather than "invalid input". */
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    for (const sub of branch) {
      const full = { ...sub, path: [...issue.path, ...sub.path] } as z.core.$ZodIssue;
      if (!best || full.path.length > best.path.length) best = full;
    }
  }
  if (!best || best.path.length === issue.path.length) return issue;
  return deepest(best);
}

/** Exclude rules must name real axes, with values those axes accept or labels of the scenario's values ("zipf(1.1)"). */
function validateExcludes(s: Scenario, shown: string): void {
  s.exclude.forEach((rule, i) => {
    for (const [key, raw] of Object.entries(rule)) {
      if (key === 'method') continue;
      const labels = axisValues(s, key as AxisName).map((v) => axisLabel(key as AxisName, v));
      const values = Array.isArray(raw) ? raw : [raw];
      values.forEach((v) => {
        if (typeof v === 'string' && labels.includes(v)) return;
        const r = AXES[key as AxisName].schema.safeParse(v);
        if (!r.success) throw new UserError(`${shown}: exclude[${i}].${key}: ${r.error.issues[0].message}, got ${JSON.stringify(v)} (values here: ${labels.join(', ')})`);
      });
    }
  });
}
