import type { ModelSpec } from './create-model.js';
import { linearRegression } from './models/linear-regression.js';
import { logisticRegression } from './models/logistic-regression.js';

/**
 * The model contract: what a {@link Learner} needs from a model, and all it assumes.
 *
 * A model is a plain object (no base class) that turns one sample into outputs, a loss
 * and the gradient of that loss with respect to one flat `Float64Array` of `size`
 * parameters. The learner owns the parameters, the gradient and a per-sample buffer
 * `out` of `bufferSize` numbers; the model writes into them and allocates nothing per
 * sample. The same three calls, in this order, make one learning step:
 *
 * ```
 * prediction = model.predict(params, x, offset, out)         // forward pass
 * loss       = model.loss(prediction, y, out)                 // scored before learning
 * model.accumulateGradient(params, x, offset, y, prediction, grad, weight, out)  // grad += weight · ∂loss/∂params
 * ```
 *
 * `out[0 .. outputs)` holds the outputs after `predict` (the value, P(y = 1), or the K
 * class probabilities); the rest of `out` is the model's own working space, kept from
 * `predict` for `loss` and `accumulateGradient` (an MLP keeps its activations there).
 * `y` is always a number: the target for regression, 0 or 1 for binary
 * classification, the class index 0 .. K-1 for K classes.
 *
 * @example
 * ```ts
 * import { type Model, linearRegression } from '@adamflow/stream';
 * const model: Model = linearRegression({ features: 2 });
 * const params = new Float64Array([1, 2, 3]); // bias, then one weight per feature
 * const grad = new Float64Array(model.size);
 * const out = new Float64Array(model.bufferSize);
 * const prediction = model.predict(params, [1, 1], 0, out); // 6
 * model.accumulateGradient(params, [1, 1], 0, 5, prediction, grad, 1, out); // grad = [2, 2, 2]
 * ```
 */
export interface Model {
  /** What this model is, free-form (`'linear-regression'`, `'mlp'`, `'my-model'`); stored in checkpoints. */
  readonly kind: string;
  /**
   * `'regression'`: real targets, `predict` returns the value. `'classification'`:
   * class targets; one output is P(y = 1) (a class is positive only when P > 0.5),
   * K > 1 outputs are the K class probabilities.
   */
  readonly task: 'regression' | 'classification';
  /** Numbers per sample, `x.length`. */
  readonly features: number;
  /** Length of the output vector: 1, or K for K classes. */
  readonly outputs: number;
  /** Number of parameters (any layout the model documents; a GLM's is bias first, `features + 1`). */
  readonly size: number;
  /** Length of the `out` buffer: at least `outputs`, plus the model's working space. */
  readonly bufferSize: number;
  /**
   * The forward pass for the features `x[offset .. offset + features)` (`offset` lets
   * a batch's rows be read in place). Writes the outputs (and the model's working
   * values) into `out` and returns the prediction as one number: the value (regression),
   * P(y = 1) (one-output classification), or the index of the most probable class
   * (K outputs, first on ties). Built-in models accept `out` omitted and then use a
   * buffer of their own (not re-entrant); learners always pass one.
   */
  predict(
    params: ArrayLike<number>,
    x: ArrayLike<number>,
    offset?: number,
    out?: Float64Array,
  ): number;
  /**
   * The loss of the sample whose forward pass `predict` just wrote into `out` (and
   * returned as `prediction`), against target `y`. Reads, never writes, `out`.
   */
  loss(prediction: number, y: number, out?: Float64Array): number;
  /**
   * Adds `weight` times the gradient of the loss at this sample to `grad` (length
   * `size`). `prediction` and `out` must come from `predict(params, x, offset, out)` at
   * the same params (passed in to avoid recomputing the forward pass). May use `out`'s
   * working space as scratch.
   */
  accumulateGradient(
    params: ArrayLike<number>,
    x: ArrayLike<number>,
    offset: number,
    y: number,
    prediction: number,
    grad: Float64Array,
    weight: number,
    out?: Float64Array,
  ): void;
  /**
   * Optional: the options that rebuild this model with `createModel` (built-in models
   * carry theirs; JSON-safe), for checkpoints that must restore a predictor.
   */
  readonly spec?: ModelSpec;
  /**
   * Optional: what this model needs of a target beyond a finite number. Returns null
   * for a target it can learn, else what a target must be (e.g. `'a count, a finite
   * number >= 0'` for Poisson regression), which error messages quote. A pipeline
   * refuses such a row before anything learns from it, and `fromCsv({ checkTarget })`
   * reports or skips it as a bad row.
   */
  checkTarget?(y: number): string | null;
  /**
   * Optional: writes the model's initial parameters (e.g. a seeded random
   * initialisation) into `params`. Without it, learners start from zeros.
   */
  initialize?(params: Float64Array): void;
  /**
   * Optional fast path over `count` consecutive rows of a batch, all at the same
   * params (one-output models): writes each row's prediction and loss, and adds
   * `weight` times each row's gradient to `grad`, in row order (so the sums are
   * bitwise those of calling `predict`, `loss` and `accumulateGradient` row by row).
   */
  scoreRows?(
    params: ArrayLike<number>,
    x: ArrayLike<number>,
    y: ArrayLike<number>,
    first: number,
    count: number,
    predictions: Float64Array,
    losses: Float64Array,
    grad: Float64Array,
    weight: number,
  ): void;
}

/** Options of the generalized linear models. */
export interface ModelOptions {
  /** Number of features; default 1 (the seed's problem). */
  features?: number;
}

export { linearRegression, logisticRegression };

/**
 * The model that fits a source kind: logistic regression for `'logistic'`, linear
 * regression otherwise.
 *
 * @param kind - a source kind.
 * @param features - its feature count.
 * @returns the model.
 * @example
 * ```ts
 * import { modelFor } from '@adamflow/stream';
 * modelFor('logistic', 2).kind; // 'logistic-regression'
 * ```
 */
export function modelFor(kind: string, features: number): Model {
  return kind === 'logistic' ? logisticRegression({ features }) : linearRegression({ features });
}
