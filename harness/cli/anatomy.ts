/**
 * `gatherbench anatomy`: where the CPU path's run-to-run luck lives, measured (harness/anatomy/probe.ts).
 * Prints a table a suspect a line; --json writes every draw's samples.
 */
import { writeFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { checkOutputFile } from '../output-path.js';
import { ANATOMY_FACTORS, loadAddon, type AnatomyFactor } from '../native/addon.js';
import { parseBytes, parseSeconds } from '../units.js';
import { runAnatomy, type AnatomyPlan, type AnatomyRow } from '../anatomy/probe.js';

export interface AnatomyCliOptions {
  rows: string;
  threads: string;
  batch: string;
  table: string;
  factors: string;
  draws: string;
  samples: string;
  processes: string;
  wait: string;
  json?: string;
}

function wholeList(name: string, s: string, min: number, max: number): number[] {
  const out = s.split(',').map((x) => x.trim());
  for (const x of out) if (!/^\d+$/.test(x) || Number(x) < min || Number(x) > max) throw new UserError(`--${name}: expected whole numbers from ${min} to ${max}, comma-separated, got '${s}'`);
  return out.map(Number);
}

function plan(o: AnatomyCliOptions): AnatomyPlan {
  const tableBytes = parseBytes(o.table);
  if (tableBytes === undefined || tableBytes < 4096 || tableBytes > 2 ** 40) throw new UserError(`--table: expected a size from 4KiB to 1TiB, got '${o.table}'`);
  const factors = (o.factors === 'all' ? [...ANATOMY_FACTORS] : o.factors.split(',').map((f) => f.trim())) as AnatomyFactor[];
  for (const f of factors) if (!ANATOMY_FACTORS.includes(f)) throw new UserError(`--factors: unknown suspect '${f}' (${ANATOMY_FACTORS.join(', ')}, or all)`);
  const rowBytes = wholeList('rows', o.rows, 8, 1 << 20);
  for (const r of rowBytes) if (r % 8 !== 0 || r > tableBytes) throw new UserError(`--rows: row bytes must be a multiple of 8 and fit the table, got ${r}`);
  const wait = parseSeconds(o.wait);
  if (!(wait >= 0 && wait <= 3600)) throw new UserError(`--wait: expected at most 1h, got '${o.wait}'`);
  return {
    rowBytes,
    threads: wholeList('threads', o.threads, 0, 1024),
    batch: wholeList('batch', o.batch, 1, 1 << 24)[0],
    tableBytes,
    factors,
    draws: wholeList('draws', o.draws, 1, 1000)[0],
    samples: wholeList('samples', o.samples, 1, 10000)[0],
    processes: wholeList('processes', o.processes, 0, 100)[0],
    waitSeconds: wait,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function line(r: AnatomyRow, processes: AnatomyRow | undefined): string {
  const s = r.spread;
  const vs = processes && r !== processes && processes.spread.sdLn > 0 ? `${(s.sdLn / processes.spread.sdLn).toFixed(2)}x` : '';
  return `${r.suspect.padEnd(15)} ${String(s.draws).padStart(5)} ${(s.medianS * 1e3).toFixed(2).padStart(10)} ${pct(s.range).padStart(8)} ${pct(s.sdLn).padStart(8)} ${vs.padStart(12)} ${pct(s.withinSdLn).padStart(10)}  ${[...new Set(r.placements)].length} placement(s)${r.hugePages.some((h) => h && h !== '0 kB') ? `, huge: ${[...new Set(r.hugePages)].join('/')}` : ''}`;
}

export async function anatomyCommand(o: AnatomyCliOptions, log: (l: string) => void): Promise<number> {
  const p = plan(o);
  if (o.json && o.json !== '-') checkOutputFile('--json', o.json);
  const { addon, loadError } = loadAddon();
  if (!addon) throw new UserError(loadError!);
  const quiet = o.json === '-';
  const say = quiet ? () => {} : log;
  let header = '';
  let processes: AnatomyRow | undefined;
  const result = await runAnatomy(addon, p, (r) => {
    const h = `\n${r.rowBytes} B rows, ${r.threads || 'all'} threads, batch ${p.batch}, table ${p.tableBytes} B (host gather + copy, each sample's rows flushed first)\nsuspect         draws  median ms    range   sd(ln)  vs processes  in a draw`;
    if (h !== header) {
      say(h);
      header = h;
      processes = undefined;
    }
    if (r.suspect === 'processes') processes = r;
    say(line(r, processes));
  });
  say(`\ntransparent huge pages: ${result.thp}; ${result.cpus} CPUs this process may use`);
  const json = JSON.stringify({ plan: p, ...result }, null, 1);
  if (o.json === '-') log(json);
  else if (o.json) writeFileSync(o.json, json);
  return 0;
}
