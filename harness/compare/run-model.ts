/**
 * The run-to-run model `compare` judges by. Runs, not samples, are the unit of replication: each run
 * allocates, pins and places its own memory, so a run's samples share its luck. For a family of points that
 * share their noise (family.ts), the log median time of point p in earlier run r is
 *
 *   y[r][p] = mu[p] + s[r] + e[r][p]
 *
 * mu the point's level, s the shift every point of the family takes in that run (its process's luck, the
 * machine's mood), e what is left. The residual sigma is pooled over the family's points, so three baseline
 * runs of six points give it ten degrees of freedom where one point's three runs gave two (a bar of 22
 * sigmas); the shift sigma keeps R - 1, so a slowdown of a whole family must clear the shifts earlier runs
 * showed, and a point that moved against the rest of its family must clear the residual noise.
 */
export interface FamilyModel {
  family: string;
  /** the point ids measured in every row */
  ids: string[];
  /** rows: earlier runs (baselines first, then history runs that measured every id) */
  runs: number;
  /** per id, its mean log median over the rows (the log of the geometric mean of its run medians) */
  level: Map<string, number>;
  /** sigma of e and its degrees of freedom, (R - 1)(P - 1); undefined for a family of one point */
  residual?: { sigma: number; dof: number };
  /** sigma of s and its degrees of freedom, R - 1; undefined with one row */
  shift?: { sigma: number; dof: number };
}

/** One earlier run: each point's median time (seconds), where it was measured. */
export type RunMedians = ReadonlyMap<string, number>;

export function fitFamily(family: string, ids: string[], rows: RunMedians[]): FamilyModel {
  const use = rows.filter((r) => ids.every((id) => (r.get(id) ?? 0) > 0));
  const R = use.length, P = ids.length;
  const y = use.map((r) => ids.map((id) => Math.log(r.get(id)!)));
  const level = new Map(ids.map((id, p) => [id, y.reduce((s, row) => s + row[p], 0) / Math.max(1, R)]));
  const mu = ids.map((id) => level.get(id)!);
  const shifts = y.map((row) => row.reduce((s, v, p) => s + v - mu[p], 0) / P);
  const model: FamilyModel = { family, ids, runs: R, level };
  if (R >= 2) model.shift = { sigma: Math.sqrt(shifts.reduce((s, v) => s + v * v, 0) / (R - 1)), dof: R - 1 };
  if (R >= 2 && P >= 2) {
    const ss = y.reduce((s, row, r) => s + row.reduce((t, v, p) => t + (v - mu[p] - shifts[r]) ** 2, 0), 0);
    const dof = (R - 1) * (P - 1);
    model.residual = { sigma: Math.sqrt(ss / dof), dof };
  }
  return model;
}

/** A candidate's point against its family: the change d (log), split into the family's shift and its own part. */
export interface PointEffect {
  /** ln(candidate median) - level: the change in log time */
  change: number;
  /** the mean change of the family's other points in the candidate (the run's shift, this point left out) */
  familyShift: number;
  /** the mean change of every point of the family: the shift test's statistic */
  shift: number;
  /** change - familyShift: what this point did on its own */
  own: number;
}

/** Each candidate point's effect; only ids of the model that the candidate measured. */
export function effects(m: FamilyModel, cand: RunMedians): Map<string, PointEffect> {
  const d = new Map<string, number>();
  for (const id of m.ids) {
    const c = cand.get(id);
    if (c !== undefined && c > 0) d.set(id, Math.log(c) - m.level.get(id)!);
  }
  const sum = [...d.values()].reduce((s, v) => s + v, 0), n = d.size;
  const out = new Map<string, PointEffect>();
  for (const [id, change] of d) {
    const familyShift = n > 1 ? (sum - change) / (n - 1) : 0;
    out.set(id, { change, familyShift, shift: sum / n, own: n > 1 ? change - familyShift : 0 });
  }
  return out;
}

/**
 * Half-widths (log) at one-sided levels per test, given the t quantile function: the own part's (residual
 * noise of a new run, of its level's estimate and of the left-out shift) at `levels.own`, the shift's (a new
 * run's shift against R earlier ones) at `levels.shift`, and the change's (both).
 */
export function halfWidths(m: FamilyModel, pointsInCandidate: number, q: (level: number, dof: number) => number, levels: { own: number; shift: number }): { own?: number; shift?: number; change?: number } {
  const R = m.runs;
  const own = m.residual && pointsInCandidate > 1 ? q(levels.own, m.residual.dof) * m.residual.sigma * Math.sqrt((1 + 1 / R) * (1 + 1 / (pointsInCandidate - 1))) : undefined;
  const shift = m.shift ? q(levels.shift, m.shift.dof) * m.shift.sigma * Math.sqrt(1 + 1 / R) : undefined;
  const change = shift === undefined ? undefined : Math.hypot(shift, own ?? 0);
  return { own, shift, change };
}
