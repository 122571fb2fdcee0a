/**
 * How a point's precision reads everywhere (terminal, markdown, HTML): the
 * half-width of the median's 95% CI, or "CI n/a" with the sample count when
 * there were too few samples for one. An infinite half-width is stored as
 * null in results.json (JSON has no Infinity) and must never read as 0%.
 */
import type { Summary } from './summary.js';

export function hasCi<S extends Pick<Summary, 'relCi'>>(s: S | undefined): s is S & { relCi: number } {
  return s !== undefined && s.relCi !== null && Number.isFinite(s.relCi);
}

export function ciLabel(s: Pick<Summary, 'relCi' | 'n'> | undefined): string {
  if (!s) return '';
  return hasCi(s) ? `±${(s.relCi * 100).toFixed(1)}%` : `CI n/a (${s.n} sample${s.n === 1 ? '' : 's'})`;
}
