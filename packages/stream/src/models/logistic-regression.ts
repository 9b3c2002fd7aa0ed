import type { Model, ModelOptions } from '../model.js';
import { featureCount, linearPredictor } from './glm.js';

/** Log loss clamps probabilities to [EPS, 1 - EPS], as scikit-learn does. */
const EPS = 1e-15;

/**
 * Logistic regression with log loss: `p = sigmoid(b + w · x)`, loss
 * `-(y log p + (1 - y) log(1 - p))` (p clamped to [1e-15, 1 - 1e-15], as
 * scikit-learn), gradient `(p - y) [1, x]`. Targets 0 or 1; the prediction is
 * P(y = 1). Parameters: bias first, then one weight per feature.
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
    spec: { kind: 'logistic-regression', features },
    task: 'classification',
    features,
    outputs: 1,
    size: features + 1,
    bufferSize: 1,
    predict(params, x, offset = 0, out) {
      const p = predict(params, x, offset);
      if (out) out[0] = p;
      return p;
    },
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
