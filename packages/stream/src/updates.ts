import type { Learner } from './learner.js';
import type { MetricsSnapshot } from './metrics.js';

/**
 * How updates hand out parameters:
 * - `'copy'` (default): every update carries its own `Float64Array` copy of the params
 *   and its own metrics object, safe to keep (one small allocation per update).
 * - `'view'`: one update object is reused and mutated; `params` is the live array the
 *   optimizer writes and `metrics` a live view computed when read. Read them inside
 *   `next()`, or copy them; they cost nothing.
 */
export type OutputMode = 'copy' | 'view';

/** The event emitted after each optimizer step. */
export interface ParamsUpdate {
  type: 'params-update';
  /** Optimizer steps so far (1 after the first). */
  step: number;
  /** Samples consumed so far. */
  samples: number;
  /** The parameters after this step, bias first. */
  params: Float64Array;
  /** Mean prequential loss of the batch that made this step (scored before learning). */
  loss: number;
  /** Learning rate used for the step. */
  lr: number;
  /** Rolling metrics after this batch. */
  metrics: MetricsSnapshot;
}

/** @internal */
export function checkOutputMode(output: unknown): OutputMode {
  if (output === undefined) return 'copy';
  if (output !== 'copy' && output !== 'view') {
    throw new TypeError(`output must be 'copy' or 'view', got ${JSON.stringify(output)}`);
  }
  return output;
}

/**
 * Builds the updates a learner's steps produce: in `'view'` mode one object, mutated
 * and re-emitted; in `'copy'` mode a fresh object with its own params copy each time.
 * @internal
 */
export function updateFactory(
  output: OutputMode,
): (learner: Learner, samples: number) => ParamsUpdate {
  let view: ParamsUpdate | undefined;
  if (output === 'copy') {
    return (learner, samples) => ({
      type: 'params-update',
      step: learner.steps,
      samples,
      // The constructor copies a typed array faster than slice() (no species lookup).
      params: new Float64Array(learner.params),
      loss: learner.lastLoss,
      lr: learner.lastLr,
      metrics: learner.metrics.snapshot(),
    });
  }
  return (learner, samples) => {
    view ??= {
      type: 'params-update',
      step: 0,
      samples: 0,
      params: learner.params,
      loss: Number.NaN,
      lr: Number.NaN,
      metrics: learner.metrics.live,
    };
    view.params = learner.params;
    view.step = learner.steps;
    view.samples = samples;
    view.loss = learner.lastLoss;
    view.lr = learner.lastLr;
    // Computed when read (see PrequentialMetrics.live): nothing to do per update.
    view.metrics = learner.metrics.live;
    return view;
  };
}
