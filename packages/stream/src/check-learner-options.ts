import { optimizers } from '@adamflow/core';
import type { LearnerOptions } from './learner.js';

/**
 * Checks {@link LearnerOptions} without building anything (the optimizer factory is
 * not called: operators call it once per subscription, and only then). Throws the
 * same errors the `Learner` constructor would.
 *
 * @param options - the options to check.
 * @example
 * ```ts
 * import { checkLearnerOptions, linearRegression } from '@adamflow/stream';
 * checkLearnerOptions({ model: linearRegression(), optimizer: 'adam' }); // ok
 * ```
 */
export function checkLearnerOptions(options: LearnerOptions): void {
  const model = options?.model;
  if (!model || typeof model.accumulateGradient !== 'function') {
    throw new TypeError('model must be a Model, e.g. linearRegression() or logisticRegression()');
  }
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(options.batchSize)}`);
  }
  if (options.params !== undefined && options.params.length !== model.size) {
    throw new RangeError(
      `params has ${options.params.length} entries but the model has ${model.size} (bias + ${model.features} features)`,
    );
  }
  const window = options.window ?? 100;
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`window must be a positive integer, got ${String(window)}`);
  }
  const emaBeta = options.emaBeta ?? 0.99;
  if (!(emaBeta >= 0 && emaBeta < 1)) {
    throw new RangeError(`emaBeta must be in [0, 1), got ${String(emaBeta)}`);
  }
  const optimizer = options.optimizer;
  if (
    typeof optimizer !== 'function' &&
    !(typeof optimizer === 'string' && Object.hasOwn(optimizers, optimizer))
  ) {
    throw new TypeError(
      `optimizer must be a factory (params) => Optimizer or one of ${Object.keys(optimizers).join(', ')}, got ${JSON.stringify(optimizer)}`,
    );
  }
}
