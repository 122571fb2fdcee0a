import { mkdtempSync, writeFileSync } from 'node:fs';
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
