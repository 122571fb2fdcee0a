/** The house rules of imports, checked on every run of the suite (CI fails on a cycle). */
import { describe, expect, it } from 'vitest';
import madge from 'madge';

describe('imports', () => {
  it('form no cycle in harness/ and reports/', async () => {
    const graph = await madge(['harness', 'reports'], { fileExtensions: ['ts'], tsConfig: 'tsconfig.json', detectiveOptions: { ts: { skipTypeImports: false } } });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(90); // it read the tree, not an empty one
    expect(graph.circular()).toEqual([]);
  }, 60000);
});
