/** The part of jstat (no published types; a CommonJS module) that harness/stats uses. */
declare module 'jstat' {
  const jstat: {
    jStat: {
      studentt: { inv(p: number, dof: number): number; cdf(x: number, dof: number): number };
      beta: { inv(p: number, a: number, b: number): number };
    };
  };
  export default jstat;
}
