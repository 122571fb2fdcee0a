/**
 * A gate that a broken build cannot pass: each way a side can fail to give a whole run ends the A/B job at
 * once, exit 1 for the candidate and 2 for the baseline, one line naming the side, the round, the reason and
 * the log, within the side's time limit plus 10 s.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../harness/paths.js';
import { scenarioFile, tmpDir } from './helpers.js';

const bin = path.join(packageRoot, 'bin', 'gatherbench.js');
const node = process.execPath;
// Points long enough that a kill lands mid-run: 6 points of a 300 ms budget, each journaled as it ends (one draw).
const scenario = () =>
  scenarioFile('name: sides\nmethods: [host-gather-copy, host-memcpy]\naxes: { width: [16, 64, 256], batch: [1024], table: ["4000 rows"] }\nsampling: { minSamples: 5, maxSamples: 2000, budget: 300ms, precision: 0.0001, draws: 1 }\ntelemetry: { window: 0, idle: 0 }\n');

/** A side as a shell script; `this` runs this gatherbench with the arguments it was given. */
function side(body: string): string {
  const file = path.join(tmpDir(), 'side.sh');
  writeFileSync(file, `#!/bin/bash\nthis() { "${node}" "${bin}" "$@"; }\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function ab(a: string, b: string, extra: string[] = []) {
  const t0 = performance.now();
  const r = spawnSync(node, [bin, 'ab', a, b, scenario(), '-o', tmpDir(), '--rounds', '2', ...extra], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout: 120000 });
  return { ...r, seconds: (performance.now() - t0) / 1e3, line: r.stderr.trim() };
}

const killedMidRun = side('this "$@" & p=$!\n# $4 is the run\'s -o folder: kill once a point is saved there\nuntil ls "$4"/*/points.jsonl >/dev/null 2>&1; do sleep 0.05; done\nkill -9 $p; exit 0');

describe('ab with a side that cannot give a whole run', () => {
  it.each([
    ['killed mid-run, then exits 0', killedMidRun, /its run is running, \d+ of 6 points saved|its results cannot be read/],
    ['exits non-zero', side('echo "Segmentation fault (core dumped)" >&2; exit 139'), /it exited 139: Segmentation fault/],
    ['prints garbage and exits 0', side('head -c 2000 /dev/urandom | base64; exit 0'), /it left no run in .*\(it printed: /],
    // a whole run of the same scenario that lacks a method's points (a build that lost one)
    ['measures fewer points than the baseline', side(`this "$@" || exit $?\n"${node}" -e 'const fs=require("fs"); const f=fs.readdirSync(process.argv[1]).map((d)=>process.argv[1]+"/"+d+"/results.json")[0]; const r=JSON.parse(fs.readFileSync(f)); r.points=r.points.filter((p)=>p.method!=="host-memcpy"); r.plannedPoints=r.points.length; fs.writeFileSync(f, JSON.stringify(r))' "$4"`), /it measured 3 of the 6 points the other side measured; 'host-memcpy .*' is absent/],
  ])('a candidate that is %s fails the job: exit 1, one line', (_what, candidate, why) => {
    const r = ab(bin, candidate);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.line.split('\n')).toHaveLength(1);
    expect(r.line).toMatch(/^gatherbench: ab: the candidate \(.*side\.sh\) failed in round 1: /);
    expect(r.line).toMatch(why);
    expect(r.line).toMatch(/\(log: .*\)$/);
  }, 120000);

  it('a hung candidate is killed at --side-timeout with its whole process group, and the job fails within the limit plus 10 s', () => {
    const marker = `gb-hung-${process.pid}`;
    const hung = side(`sleep 1000 # ${marker}\n`);
    const r = ab(bin, hung, ['--side-timeout', '3s']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.line).toMatch(/the candidate .* failed in round 1: it ran past its time limit of 3 s \(--side-timeout\) and its process group was killed/);
    expect(r.seconds).toBeLessThan(3 + 10 + 5); // + the baseline's round-1 run
    // nothing of the group is left running
    expect(spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim()).toBe('');
  }, 60000);

  it('a failing baseline means the job cannot judge: exit 2', () => {
    const r = ab(side('exit 3'), bin);
    expect(r.status).toBe(2);
    expect(r.line).toMatch(/^gatherbench: ab: the baseline \(.*\) failed in round 1: it exited 3 \(log: .*round-01-a\.log\)$/);
  }, 60000);

  it('refuses every numeric option past its bound with exit 2 and one line', () => {
    for (const [flag, value, msg] of [
      ['--rounds', '99999999999', /--rounds: expected a whole number from 2 to 100/],
      ['--min-rounds', '1e3', /--min-rounds: expected a whole number from 2 to 100/],
      ['--seed', '99999999999999999999', /--seed: expected a whole number from 0 to 2147483647/],
      ['--side-timeout', '0s', /--side-timeout: expected a duration above 0/],
      ['--side-timeout', '99999h', /--side-timeout: expected a duration like/],
      ['--side-timeout', '1000000s', /--side-timeout: expected a duration above 0 and at most 24 h/],
      ['--budget', '5000s', /--budget: expected a duration above 0 and at most 1 h/],
      ['--threshold', '1e309', /--threshold: expected a percentage/],
    ] as const) {
      const r = spawnSync(node, [bin, 'ab', bin, scenario(), flag, value], { encoding: 'utf8' });
      expect(r.status, `${flag} ${value}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim()).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
