/** A chart of the report: a vega-lite spec plus the sentence that says what to read from it. */
export interface Chart {
  id: string;
  title: string;
  caption: string;
  spec: Record<string, unknown>;
}
