import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseScenario } from '../harness/scenario/load.js';
import type { Scenario } from '../harness/scenario/schema.js';

export function tmpDir(prefix = 'gb-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes a scenario YAML file into a fresh temp dir and returns its path. */
export function scenarioFile(yaml: string, name = 'x.yaml'): string {
  const file = path.join(tmpDir(), name);
  writeFileSync(file, yaml);
  return file;
}

export function scenario(data: Record<string, unknown>): Scenario {
  return parseScenario({ name: 't', ...data }, 't.yaml');
}

/**
 * What a user's checkout holds of the places gatherbench writes by default (results/, baselines/,
 * history.jsonl), names and modification times: a test compares it before and after, so it neither
 * depends on what the user ran first (npm start writes results/) nor writes there itself.
 */
export function checkoutWrites(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string, depth: number) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    out.push(`${path.relative(root, p)} ${st.mtimeMs}`);
    if (st.isDirectory() && depth < 3) for (const f of readdirSync(p).sort()) walk(path.join(p, f), depth + 1);
  };
  for (const f of ['results', 'baselines', 'history.jsonl']) walk(path.join(root, f), 0);
  return out;
}
