import type { Model, ModelOptions } from '../model.js';
import { featureCount, linearPredictor } from './glm.js';

/**
 * Linear regression with squared error: `yhat = b + w · x`, loss `(yhat - y)^2`,
 * gradient `2 (yhat - y) [1, x]` (the seed's per-sample MSE gradient). Parameters:
 * bias first, then one weight per feature (`features + 1`).
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
    spec: { kind: 'linear-regression', features },
    task: 'regression',
    features,
    outputs: 1,
    size: features + 1,
    bufferSize: 1,
    predict(params, x, offset = 0, out) {
      const prediction = linearPredictor(params, x, offset, features);
      if (out) out[0] = prediction;
      return prediction;
    },
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
