/**
 * A report finding: a headline a reader takes in at a glance (at most two sentences, its key number and the
 * point where it holds), and the detail behind it as a small table (collapsed by default in HTML).
 */
export interface Finding {
  title: string;
  headline: string;
  detail?: { columns: string[]; rows: string[][] };
  /** what its figures rest on, said beside the headline (the CPU path's draws) */
  basis?: string;
  /** the chart that shows it */
  chart: string;
}

/** The longest headline a finding may have: a summary line, not a paragraph. */
export const HEADLINE_MAX = 300;
