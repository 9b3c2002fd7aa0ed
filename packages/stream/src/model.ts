/**
 * A differentiable model of one sample: a prediction from the current parameters,
 * a loss, and the gradient of that loss, written into a caller's buffer so nothing is
 * allocated per sample. Parameter layout: bias first, then one weight per feature.
 */
export interface Model {
  /** Which model this is. */
  readonly kind: 'linear-regression' | 'logistic-regression';
  /** Regression (real targets) or classification (0/1 targets, prediction is P(y = 1)). */
  readonly task: 'regression' | 'classification';
  /** Number of features per sample. */
  readonly features: number;
  /** Number of parameters: `features + 1`. */
  readonly size: number;
  /**
   * The model's output for the features `x[offset .. offset + features)`
   * (`offset` lets a batch's rows be read in place).
   */
  predict(params: ArrayLike<number>, x: ArrayLike<number>, offset?: number): number;
  /** The loss of `prediction` against target `y`. */
  loss(prediction: number, y: number): number;
  /**
   * Adds `weight` times the gradient of the loss at this sample to `grad`.
   * `prediction` must be `predict(params, x)` (passed in to avoid recomputing it).
   */
  accumulateGradient(
    params: ArrayLike<number>,
    x: ArrayLike<number>,
    offset: number,
    y: number,
    prediction: number,
    grad: Float64Array,
    weight: number,
  ): void;
  /**
   * Optional fast path over `count` consecutive rows of a batch, all at the same
   * params: writes each row's prediction and loss, and adds `weight` times each
   * row's gradient to `grad`, in row order (so the sums are bitwise those of calling
   * `predict`, `loss` and `accumulateGradient` row by row).
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

/** Options of the built-in models. */
export interface ModelOptions {
  /** Number of features; default 1 (the seed's problem). */
  features?: number;
}

function featureCount(name: string, options: ModelOptions): number {
  const features = options.features ?? 1;
  if (!Number.isInteger(features) || features < 1) {
    throw new RangeError(`${name}: features must be a positive integer, got ${String(features)}`);
  }
  return features;
}

function linearPredictor(
  params: ArrayLike<number>,
  x: ArrayLike<number>,
  offset: number,
  features: number,
): number {
  let z = params[0]!;
  for (let j = 0; j < features; j++) z += params[j + 1]! * x[offset + j]!;
  return z;
}

/**
 * Linear regression with squared error: `yhat = b + w · x`, loss `(yhat - y)^2`,
 * gradient `2 (yhat - y) [1, x]` (the seed's per-sample MSE gradient).
 *
 * @param options - {@link ModelOptions}.
 * @returns the model.
 * @example
 * ```ts
 * import { linearRegression } from '@adamflow/stream';
 * const model = linearRegression();
 * model.predict([4, 3], [1]); // 7
 * ```
 */
export function linearRegression(options: ModelOptions = {}): Model {
  const features = featureCount('linearRegression', options);
  return {
    kind: 'linear-regression',
    task: 'regression',
    features,
    size: features + 1,
    predict: (params, x, offset = 0) => linearPredictor(params, x, offset, features),
    loss: (prediction, y) => (prediction - y) * (prediction - y),
    accumulateGradient(_params, x, offset, y, prediction, grad, weight) {
      const r = 2 * (prediction - y) * weight;
      grad[0]! += r;
      for (let j = 0; j < features; j++) grad[j + 1]! += r * x[offset + j]!;
    },
    scoreRows(params, x, y, first, count, predictions, losses, grad, weight) {
      if (features === 1) {
        // The seed's model: the gradient sums stay in registers (same additions, same order).
        const bias = params[0]!;
        const slope = params[1]!;
        let g0 = grad[0]!;
        let g1 = grad[1]!;
        for (let k = 0; k < count; k++) {
          const xk = x[first + k]!;
          const prediction = bias + slope * xk;
          const error = prediction - y[first + k]!;
          predictions[k] = prediction;
          losses[k] = error * error;
          const r = 2 * error * weight;
          g0 += r;
          g1 += r * xk;
        }
        grad[0] = g0;
        grad[1] = g1;
        return;
      }
      for (let k = 0; k < count; k++) {
        const row = first + k;
        const offset = row * features;
        const prediction = linearPredictor(params, x, offset, features);
        const target = y[row]!;
        predictions[k] = prediction;
        losses[k] = (prediction - target) * (prediction - target);
        const r = 2 * (prediction - target) * weight;
        grad[0]! += r;
        for (let j = 0; j < features; j++) grad[j + 1]! += r * x[offset + j]!;
      }
    },
  };
}

/** Log loss clamps probabilities to [EPS, 1 - EPS], as scikit-learn does. */
const EPS = 1e-15;

/**
 * Logistic regression with log loss: `p = sigmoid(b + w · x)`, loss
 * `-(y log p + (1 - y) log(1 - p))`, gradient `(p - y) [1, x]`.
 *
 * @param options - {@link ModelOptions}.
 * @returns the model.
 * @example
 * ```ts
 * import { logisticRegression } from '@adamflow/stream';
 * const model = logisticRegression({ features: 2 });
 * model.predict([0, 0, 0], [1, 1]); // 0.5
 * ```
 */
export function logisticRegression(options: ModelOptions = {}): Model {
  const features = featureCount('logisticRegression', options);
  const predict = (params: ArrayLike<number>, x: ArrayLike<number>, offset = 0): number => {
    const z = linearPredictor(params, x, offset, features);
    // Two branches keep exp() from overflowing for large |z|.
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  };
  const loss = (p: number, y: number): number => {
    const q = Math.min(Math.max(p, EPS), 1 - EPS);
    return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
  };
  const accumulateGradient: Model['accumulateGradient'] = (
    _params,
    x,
    offset,
    y,
    p,
    grad,
    weight,
  ) => {
    const r = (p - y) * weight;
    grad[0]! += r;
    for (let j = 0; j < features; j++) grad[j + 1]! += r * x[offset + j]!;
  };
  return {
    kind: 'logistic-regression',
    task: 'classification',
    features,
    size: features + 1,
    predict,
    loss,
    accumulateGradient,
    scoreRows(params, x, y, first, count, predictions, losses, grad, weight) {
      for (let k = 0; k < count; k++) {
        const offset = (first + k) * features;
        const p = predict(params, x, offset);
        predictions[k] = p;
        losses[k] = loss(p, y[first + k]!);
        accumulateGradient(params, x, offset, y[first + k]!, p, grad, weight);
      }
    },
  };
}

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
