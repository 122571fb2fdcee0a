import type { Chart } from './types.js';
import type { RunResults } from '../../harness/results/model.js';
import { stepLabel, stepPoints } from '../findings-step.js';
import { hasCi } from '../../harness/stats/ci-label.js';

/** A training step's anatomy: each path's parts alone, the parts beside each other, and the step, per workload. */
export function stepAnatomyChart(run: RunResults): Chart | undefined {
  const steps = stepPoints(run);
  if (!steps.length) return undefined;
  const rows = steps.flatMap((s) => {
    // the step's own interval (its median's 95% CI) and whether it has one: too few samples are ringed
    const precise = hasCi(s.p.stats);
    const part = (name: string, seconds: number) => ({ path: stepLabel(s), workload: s.key, part: name, ms: seconds * 1e3, ...(name === 'step' ? { lo: s.p.stats!.ciLow * 1e3, hi: s.p.stats!.ciHigh * 1e3, precise } : {}) });
    return [
      part('gather alone', s.a.gatherAloneS),
      part('layer alone', s.a.layerAloneS),
      ...(s.a.mode === 'pipelined' ? [part('gather beside the layer', s.a.gatherBesideS), part('layer beside the gather', s.a.layerBesideS)] : []),
      part('step', s.a.stepS),
    ];
  });
  return {
    id: 'step-anatomy',
    title: 'Training step anatomy',
    caption:
      "Each path's training step (the gather of a batch and the model's layer on it) beside its parts: the gather and the layer measured alone in the same samples, " +
      'and, pipelined, each one while the other runs. A pipelined step near its longer part alone hides the shorter one; a layer slower beside the gather than alone is what the gather takes from the model. ' +
      'Log scale, each workload with its own axis: the paths of one workload span 0.2-160 ms. The step carries its 95% interval as a bar; black rings: too few samples for an interval.',
    spec: {
      data: { values: rows },
      facet: { row: { field: 'workload', type: 'nominal', title: null } },
      // each workload its own axis, shown under it: on one linear axis the copy engines' 100 ms squeezed the winners' 0.3 ms to slivers
      resolve: { scale: { x: 'independent' }, axis: { x: 'independent' } },
      spec: {
        width: 520,
        height: { step: 6 },
        encoding: {
          y: { field: 'path', type: 'nominal', title: null },
          yOffset: { field: 'part', type: 'nominal', sort: ['gather alone', 'layer alone', 'gather beside the layer', 'layer beside the gather', 'step'] },
          x: { field: 'ms', type: 'quantitative', title: 'ms (log)', scale: { type: 'log' } },
          color: { field: 'part', type: 'nominal', title: null, sort: ['gather alone', 'layer alone', 'gather beside the layer', 'layer beside the gather', 'step'], scale: { scheme: 'tableau10' } },
          tooltip: [{ field: 'path' }, { field: 'workload' }, { field: 'part' }, { field: 'ms', format: '.3f' }],
        },
        layer: [
          { mark: { type: 'point', filled: true, size: 50 } }, // bars need a zero a log scale lacks
          { transform: [{ filter: 'datum.part === "step" && datum.precise' }], mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lo', type: 'quantitative', scale: { type: 'log' } }, x2: { field: 'hi' } } },
          { transform: [{ filter: 'datum.part === "step" && !datum.precise' }], mark: { type: 'point', shape: 'circle', size: 150, strokeWidth: 1.5 }, encoding: { color: { value: 'black' } } },
        ],
      },
    },
  };
}
