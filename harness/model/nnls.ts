/**
 * Non-negative least squares for a handful of unknowns, by trying every
 * subset of free variables (2^k small solves): exact, and simple enough to
 * trust for k <= 5.
 */

function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-300) return undefined;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((r, i) => r[n] / r[i]);
}

/** Minimizes ||X beta - y|| subject to beta >= 0. Rows of X are observations. */
export function nnls(x: number[][], y: number[]): { beta: number[]; sse: number } {
  const k = x[0]?.length ?? 0;
  let best = { beta: new Array<number>(k).fill(0), sse: y.reduce((s, v) => s + v * v, 0) };
  for (let mask = 1; mask < 1 << k; mask++) {
    const cols = [...Array(k).keys()].filter((j) => mask & (1 << j));
    // normal equations on the chosen columns, scaled for conditioning
    const scale = cols.map((j) => Math.sqrt(x.reduce((s, r) => s + r[j] * r[j], 0)) || 1);
    const ata = cols.map((i, a) => cols.map((j, b) => x.reduce((s, r) => s + (r[i] / scale[a]) * (r[j] / scale[b]), 0)));
    const atb = cols.map((i, a) => x.reduce((s, r, n) => s + (r[i] / scale[a]) * y[n], 0));
    const sol = solve(ata, atb);
    if (!sol || sol.some((v) => v < 0 || !Number.isFinite(v))) continue;
    const beta = new Array<number>(k).fill(0);
    cols.forEach((j, a) => (beta[j] = sol[a] / scale[a]));
    const sse = x.reduce((s, r, n) => s + (r.reduce((t, v, j) => t + v * beta[j], 0) - y[n]) ** 2, 0);
    if (sse < best.sse) best = { beta, sse };
  }
  return best;
}
