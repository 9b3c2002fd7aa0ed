import type { MetricsSnapshot } from './metrics.js';

/**
 * How updates hand out parameters:
 * - `'copy'` (default): every update carries its own `Float64Array` copy of the params
 *   and its own metrics object, safe to keep (one small allocation per update).
 * - `'view'`: one update object is reused and mutated, and `params` is the live
 *   array the optimizer writes. Read it inside `next()`, or copy it; it costs nothing.
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
