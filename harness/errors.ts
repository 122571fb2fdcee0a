/** Exit codes of the CLI (documented in README.md). */
export const ExitCode = {
  ok: 0,
  /** a point failed verification, or a comparison found a regression */
  failures: 1,
  /** bad input: malformed scenario, impossible sizes, unknown names */
  badInput: 2,
  /** stopped by Ctrl-C; finished points are on disk */
  interrupted: 130,
  /** stopped by SIGTERM (what Slurm and CI send at a time limit); finished points are on disk */
  terminated: 143,
} as const;

/** An error the user can fix; printed as one line, never with a stack trace. Exits 2 unless it says otherwise. */
export class UserError extends Error {
  constructor(
    message: string,
    /** a gate whose candidate failed to run exits 1: the build under test is what failed */
    readonly exitCode: number = ExitCode.badInput,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
