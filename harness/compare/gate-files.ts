/**
 * The files a gate writes besides its table (`--markdown`, `--junit`, `--json`, and the CI job summary), for
 * compare and ab alike: checked before any work, written at the end.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { checkOutputFile } from '../output-path.js';
import { toMarkdown } from './print-markdown.js';
import { toJunit } from './print-junit.js';
import type { RunComparison } from './verdict.js';

export interface GateFiles {
  markdown?: string;
  junit?: string;
  json?: string;
}

export function checkGateFiles(o: GateFiles): void {
  for (const [flag, f] of [['--json', o.json], ['--markdown', o.markdown], ['--junit', o.junit]] as const) if (f) checkOutputFile(flag, f);
}

/** Writes them; `json` is what --json holds (the comparison itself, unless the gate records more). Returns the markdown. */
export function writeGateFiles(c: RunComparison, o: GateFiles, json: unknown = c): string {
  const md = toMarkdown(c);
  if (o.markdown) writeFileSync(o.markdown, md);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, md);
  if (o.junit) writeFileSync(o.junit, toJunit(c));
  if (o.json) writeFileSync(o.json, JSON.stringify(json, null, 1));
  return md;
}
