/**
 * Size checks made before any allocation: a table that holds no row, or a
 * table plus its buffers that cannot fit in host memory, rejects the scenario
 * with the numbers; a contiguous copy longer than its table skips that case.
 */
import { UserError } from '../errors.js';
import { formatBytes } from '../units.js';
import { isContiguous } from '../native/facts.js';
import type { Case } from './expand.js';
import { axisValues } from './expand.js';
import { axisLabel } from './axes.js';
import type { Scenario } from './schema.js';

/** Host bytes a case needs besides its table. */
export function hostBufferBytes(c: Case): number {
  const u = c.derived.usefulBytes;
  switch (c.method) {
    case 'host-gather-copy': return 2 * u;
    case 'host-memcpy': return u;
    // GPU methods verify on the GPU: a row comes back to the host for the spot check
    case 'cpu-gather-memcpy': return u + c.derived.rowBytes;
    default: return c.derived.rowBytes + c.values.batch * 8;
  }
}

/** Table bytes that stay in host memory for this case (device-resident and uvm copy it away, but fill it first). */
export function checkFeasible(s: Scenario, cases: Case[], shown: string, availableHostBytes: number): void {
  const tables = axisValues(s, 'table');
  for (const c of cases) {
    const at = `axes.table[${tables.findIndex((t) => axisLabel('table', t) === axisLabel('table', c.values.table))}]`;
    if (c.derived.tableRows < 1) {
      throw new UserError(`${shown}: ${at}: a table of ${axisLabel('table', c.values.table)} holds no row of ${c.derived.rowBytes} B (width ${c.values.width} x ${c.values.dtype})`);
    }
    const need = c.derived.tableBytes + hostBufferBytes(c);
    if (need > availableHostBytes) {
      throw new UserError(
        `${shown}: ${at}: ${c.method} at width ${c.values.width}, batch ${c.values.batch} needs ${formatBytes(c.derived.tableBytes)} of table + ${formatBytes(hostBufferBytes(c))} of buffers, more than the ${formatBytes(availableHostBytes)} of host memory available`,
      );
    }
  }
}

/** Why a case cannot run at all, regardless of the machine; undefined if it can. */
export function impossibleReason(c: Case): string | undefined {
  if (isContiguous(c.method) && c.values.batch > c.derived.tableRows) {
    return `a contiguous copy of ${c.values.batch} rows does not fit in a table of ${c.derived.tableRows} rows`;
  }
  return undefined;
}
