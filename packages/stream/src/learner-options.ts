// What a Learner is built from: its options, their checks, and its optimizer.
import { createOptimizer, type Optimizer, type OptimizerName, optimizers } from '@adamflow/core';
import type { Model } from './model.js';
import type { PartitionedOptimizer } from './partitioned.js';

/** What a learner steps its params with: an `@adamflow/core` optimizer or a partition of them. */
export type LearnerOptimizer = Optimizer | PartitionedOptimizer;

/**
 * Builds the optimizer over the learner's params: a factory (e.g.
 * `(params) => new Adam(params, { lr: 0.01 })`, or `partitioned({...})` for different
 * optimizers on different ranges), or a registry name (demo settings).
 */
export type OptimizerSpec = ((params: Float64Array) => LearnerOptimizer) | OptimizerName;

/** Options of {@link Learner}. */
export interface LearnerOptions {
  /** The model that turns a sample into a prediction, a loss and a gradient. */
  model: Model;
  /** The optimizer: a factory `(params) => new Adam(params, ...)`, or a registry name (demo settings). */
  optimizer: OptimizerSpec;
  /**
   * Initial parameters, length `model.size`, in the model's layout; default the
   * model's `initialize` (e.g. an MLP's seeded weights), or zeros without one.
   */
  params?: ArrayLike<number>;
  /** Samples averaged per optimizer step (minibatch); default 1. */
  batchSize?: number;
  /** Window of the rolling metrics, in samples; default 100. */
  window?: number;
  /** Decay of the loss EMA; default 0.99. */
  emaBeta?: number;
}

/**
 * Checks a learner's options without building anything (the optimizer factory is not
 * called): what `new Learner(options)` would refuse, it refuses with the same error.
 *
 * @param options - {@link LearnerOptions}.
 * @example
 * ```ts
 * import { checkLearnerOptions, linearRegression } from '@adamflow/stream';
 * checkLearnerOptions({ model: linearRegression(), optimizer: 'adam', batchSize: 0 }); // throws RangeError
 * ```
 */
export function checkLearnerOptions(options: LearnerOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      "options must be an object, e.g. { model: linearRegression(), optimizer: 'adam' }",
    );
  }
  const { model } = options;
  if (
    !model ||
    typeof model.predict !== 'function' ||
    typeof model.loss !== 'function' ||
    typeof model.accumulateGradient !== 'function'
  ) {
    throw new TypeError(
      'model must be a Model (predict, loss, accumulateGradient), e.g. linearRegression() or logisticRegression()',
    );
  }
  for (const key of ['features', 'outputs', 'size', 'bufferSize'] as const) {
    const value = model[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`model.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (model.bufferSize < model.outputs) {
    throw new RangeError(
      `model.bufferSize (${model.bufferSize}) must be at least model.outputs (${model.outputs})`,
    );
  }
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(options.batchSize)}`);
  }
  if (options.params !== undefined && options.params.length !== model.size) {
    throw new RangeError(
      `params has ${options.params.length} entries but the model (${model.kind}) has ${model.size}`,
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
  const spec = options.optimizer;
  if (
    typeof spec !== 'function' &&
    !(typeof spec === 'string' && Object.hasOwn(optimizers, spec))
  ) {
    throw new TypeError(
      `optimizer must be a factory (params) => Optimizer or one of ${Object.keys(optimizers).join(', ')}, got ${JSON.stringify(spec)}`,
    );
  }
}

/**
 * Builds a learner's optimizer over its params from an {@link OptimizerSpec}; a
 * registry name gets the registry's demo options under `options`.
 *
 * @param spec - a factory or a registry name.
 * @param params - the learner's params, which the optimizer must update in place.
 * @param options - options over the demo ones (registry names only).
 * @returns the optimizer.
 * @throws TypeError when the factory returns an optimizer over other params.
 * @example
 * ```ts
 * const optimizer = buildOptimizer('adam', new Float64Array(2), { lr: 0.05 });
 * ```
 * @internal
 */
export function buildOptimizer(
  spec: OptimizerSpec,
  params: Float64Array,
  options?: Record<string, unknown>,
): LearnerOptimizer {
  if (typeof spec === 'function') {
    const optimizer = spec(params);
    if (!optimizer || optimizer.params !== params) {
      throw new TypeError(
        'the optimizer factory must return an optimizer over the params it was given',
      );
    }
    return optimizer;
  }
  if (typeof spec === 'string' && Object.hasOwn(optimizers, spec)) {
    return createOptimizer(spec, params, { ...optimizers[spec].demoOptions, ...options });
  }
  throw new TypeError(
    `optimizer must be a factory (params) => Optimizer or one of ${Object.keys(optimizers).join(', ')}, got ${JSON.stringify(spec)}`,
  );
}
