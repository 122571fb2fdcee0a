/**
 * The run-to-run model `compare` judges by. Runs, not samples, are the unit of replication: each run
 * allocates, pins and places its own memory, so a run's samples share its luck. The log median time of
 * point p (of method m) in earlier run r is
 *
 *   y[r][p] = mu[p] + s[r][m] + e[r][p]
 *
 * mu the point's level, s the shift every point of the method takes in that run (its process's luck, the
 * machine's mood), e what is left. A family (family.ts) is a set of methods whose noise is alike: its shift
 * and residual variances are pooled over its methods and points, so three baseline runs of two methods of
 * three points give the residual 8 degrees of freedom and the shift 4, where one point's three runs gave 2
 * (a bar of 22 sigmas). Shifts stay per method: on the stored H100 nightlies the CPU gather of two runs in a
 * row took 50% longer while the host-only paths beside it did not move, and a shift shared across methods
 * called that "one point against its family".
 */
export interface FamilyModel {
  family: string;
  /** the point ids measured in every row */
  ids: string[];
  /** each id's method */
  methodOf: ReadonlyMap<string, string>;
  /** rows: earlier runs (baselines first, then history runs that measured every id) */
  runs: number;
  /** per id, its mean log median over the rows (the log of the geometric mean of its run medians) */
  level: Map<string, number>;
  /** sigma of e and its degrees of freedom, sum over methods of (R - 1)(P_m - 1); undefined without any */
  residual?: { sigma: number; dof: number };
  /** sigma of s and its degrees of freedom, M (R - 1); undefined with one row */
  shift?: { sigma: number; dof: number };
}

/** One earlier run: each point's median time (seconds), where it was measured. */
export type RunMedians = ReadonlyMap<string, number>;

const groupBy = (ids: string[], methodOf: ReadonlyMap<string, string>) => {
  const by = new Map<string, string[]>();
  for (const id of ids) by.set(methodOf.get(id)!, [...(by.get(methodOf.get(id)!) ?? []), id]);
  return [...by.values()];
};

export function fitFamily(family: string, ids: string[], methodOf: ReadonlyMap<string, string>, rows: RunMedians[]): FamilyModel {
  const use = rows.filter((r) => ids.every((id) => (r.get(id) ?? 0) > 0));
  const R = use.length;
  // log medians, one row per earlier run, taken once
  const logs = use.map((r) => new Map(ids.map((id) => [id, Math.log(r.get(id)!)])));
  const level = new Map(ids.map((id) => [id, logs.reduce((s, y) => s + y.get(id)!, 0) / Math.max(1, R)]));
  const model: FamilyModel = { family, ids, methodOf, runs: R, level };
  if (R < 2) return model;
  let ss = 0, shiftSs = 0, dof = 0, shiftDof = 0;
  for (const group of groupBy(ids, methodOf)) {
    for (const y of logs) {
      const s = group.reduce((t, id) => t + y.get(id)! - level.get(id)!, 0) / group.length;
      shiftSs += s * s;
      for (const id of group) ss += (y.get(id)! - level.get(id)! - s) ** 2;
    }
    shiftDof += R - 1;
    dof += (R - 1) * (group.length - 1);
  }
  model.shift = { sigma: Math.sqrt(shiftSs / shiftDof), dof: shiftDof };
  if (dof > 0) model.residual = { sigma: Math.sqrt(ss / dof), dof };
  return model;
}

/** A candidate's point against its method: the change d (log), split into the method's shift and its own part. */
export interface PointEffect {
  /** ln(candidate median) - level: the change in log time */
  change: number;
  /** the mean change of the method's other points in the candidate (this point left out) */
  familyShift: number;
  /** the mean change of every point of the method: the shift test's statistic */
  shift: number;
  /** change - familyShift: what this point did on its own */
  own: number;
  /** how many of its method's points the candidate measured */
  peers: number;
}

/** Each candidate point's effect; only ids of the model that the candidate measured. */
export function effects(m: FamilyModel, cand: RunMedians): Map<string, PointEffect> {
  const out = new Map<string, PointEffect>();
  for (const group of groupBy(m.ids, m.methodOf)) {
    const d = new Map<string, number>();
    for (const id of group) {
      const c = cand.get(id);
      if (c !== undefined && c > 0) d.set(id, Math.log(c) - m.level.get(id)!);
    }
    const sum = [...d.values()].reduce((s, v) => s + v, 0), n = d.size;
    for (const [id, change] of d) {
      const familyShift = n > 1 ? (sum - change) / (n - 1) : 0;
      out.set(id, { change, familyShift, shift: sum / n, own: n > 1 ? change - familyShift : 0, peers: n });
    }
  }
  return out;
}

/**
 * Half-widths (log) at one-sided levels per test, given the t quantile function: the own part's (residual
 * noise of a new run, of its level's estimate and of the left-out shift) at `levels.own`, the shift's (a new
 * run's shift against R earlier ones) at `levels.shift`, and the change's (both).
 */
export function halfWidths(m: FamilyModel, e: PointEffect, q: (level: number, dof: number) => number, levels: { own: number; shift: number }): { own?: number; shift?: number; change?: number } {
  const R = m.runs;
  const own = m.residual && e.peers > 1 ? q(levels.own, m.residual.dof) * m.residual.sigma * Math.sqrt((1 + 1 / R) * (1 + 1 / (e.peers - 1))) : undefined;
  const shift = m.shift ? q(levels.shift, m.shift.dof) * m.shift.sigma * Math.sqrt(1 + 1 / R) : undefined;
  const change = shift === undefined ? undefined : Math.hypot(shift, own ?? 0);
  return { own, shift, change };
}
