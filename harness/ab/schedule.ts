/**
 * The order of the sides in each round. ABBA (A B, B A, A B, ...) cancels a drift that is linear in time over
 * every pair of rounds; `random` (Abedi and Brecht's randomized multiple interleaved trials) leaves no
 * pattern a periodic disturbance could lock onto. Both alternate who goes first, which matters on a machine
 * whose first process after an idle spell runs at another clock or cache state.
 */
import { rng } from '../stats/rng.js';

export type Order = 'abba' | 'random';
export type SideName = 'a' | 'b';

/** The sides of round k (0-based) in the order they run. */
export function roundOrder(order: Order, k: number, seed = 1): [SideName, SideName] {
  const first: SideName = order === 'abba' ? (k % 2 === 0 ? 'a' : 'b') : rng(seed * 7919 + k)() < 0.5 ? 'a' : 'b';
  return first === 'a' ? ['a', 'b'] : ['b', 'a'];
}

/** The rounds after which an early stop may look: every second round (an ABBA pair complete) from `min` to `max`. */
export function lookRounds(min: number, max: number): number[] {
  const out: number[] = [];
  for (let k = min; k <= max; k++) if (k % 2 === 0 || k === max) out.push(k);
  return out;
}

/** How finely the sides alternate inside a round: whole runs, a method's points, or single points. */
export type Grain = 'run' | 'method' | 'point';

/** The point ids cut into the chunks a side runs in turn (ids are '<method> <axes>'). */
export function chunksOf(ids: string[], grain: Exclude<Grain, 'run'>): string[][] {
  if (grain === 'point') return ids.map((id) => [id]);
  const by = new Map<string, string[]>();
  for (const id of ids) {
    const m = id.split(' ')[0];
    by.set(m, [...(by.get(m) ?? []), id]);
  }
  return [...by.values()];
}

/** The sides' order for chunk j of a round that began with `round`: alternating, so neither side always goes first. */
export function chunkOrder(round: [SideName, SideName], j: number): [SideName, SideName] {
  return j % 2 === 0 ? round : [round[1], round[0]];
}
