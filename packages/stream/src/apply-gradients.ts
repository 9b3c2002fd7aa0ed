import type { OptimizerState } from '@adamflow/core';
import { defer, map, type OperatorFunction } from 'rxjs';
import type { LearnerOptimizer } from './learner-options.js';
import type { PartitionedState } from './partitioned.js';
import { checkOutputMode, type OutputMode } from './updates.js';

/** Options of {@link applyGradients}. */
export interface ApplyGradientsOptions {
  /** Initial parameters; each subscription starts from a copy. */
  params: ArrayLike<number>;
  /**
   * Builds the optimizer over the subscription's params, e.g. `(p) => new Adam(p, { lr: 0.01 })`
   * or `partitioned({...})`; called once per subscription.
   */
  optimizer: (params: Float64Array) => LearnerOptimizer;
  /** See {@link OutputMode}; default `'copy'`. */
  output?: OutputMode;
  /** Start each subscription from this optimizer state (params included), e.g. one taken with `checkpointer`. */
  from?: OptimizerState | PartitionedState;
  /**
   * Called at each subscription with a function that returns the optimizer's current
   * state (params included, JSON-safe), for checkpoints while the run goes on.
   */
  checkpointer?: (take: () => OptimizerState | PartitionedState) => void;
}

/** What {@link applyGradients} emits per gradient. */
export interface GradientUpdate {
  type: 'params-update';
  /** Optimizer steps applied so far. */
  step: number;
  /** Whether this gradient was applied (false when the `'skip'` policy skipped it). */
  applied: boolean;
  /** Parameters after the step. */
  params: Float64Array;
}

/**
 * Feeds a stream of gradient vectors, computed anywhere, to an optimizer and emits the
 * parameters after each step. Errors from the optimizer (wrong length, non-finite
 * gradient under `'throw'`) reach the subscriber with their stable `code`.
 *
 * Each subscription starts from a copy of `params` (or from `from`) with a new
 * optimizer, so `retry()` starts again rather than continuing; take a state with
 * `checkpointer` and pass it as `from` to continue.
 *
 * @param options - initial params, optimizer factory, output mode.
 * @returns an operator from gradients to parameter updates.
 * @example
 * ```ts
 * import { of } from 'rxjs';
 * import { Adam } from '@adamflow/core';
 * import { applyGradients } from '@adamflow/stream';
 * of([1, -1], [0.5, -0.5])
 *   .pipe(applyGradients({ params: [0, 0], optimizer: (p) => new Adam(p, { lr: 0.1 }) }))
 *   .subscribe((u) => console.log(u.step, u.params));
 * ```
 */
export function applyGradients(
  options: ApplyGradientsOptions,
): OperatorFunction<ArrayLike<number>, GradientUpdate> {
  const output = checkOutputMode(options.output);
  if (typeof options.optimizer !== 'function') {
    throw new TypeError('applyGradients: optimizer must be a function (params) => Optimizer');
  }
  const initial = Float64Array.from(options.params);
  return (source) =>
    defer(() => {
      const params = initial.slice();
      const optimizer = options.optimizer(params);
      if (options.from) optimizer.loadState(options.from);
      options.checkpointer?.(() => optimizer.state());
      const view: GradientUpdate = { type: 'params-update', step: 0, applied: false, params };
      return source.pipe(
        map((grad): GradientUpdate => {
          const applied = optimizer.step(grad);
          if (output === 'view') {
            view.step = optimizer.stepCount;
            view.applied = applied;
            return view;
          }
          return {
            type: 'params-update',
            step: optimizer.stepCount,
            applied,
            params: params.slice(),
          };
        }),
      );
    });
}
