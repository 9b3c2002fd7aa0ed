import type { Model } from '../model.js';
import { featureCount, linearPredictor } from './glm.js';

/** Options of {@link softmaxRegression}. */
export interface SoftmaxRegressionOptions {
  /** Number of features; default 1. */
  features?: number;
  /** Number of classes K, an integer >= 2; targets are class indices 0 .. K-1. */
  classes: number;
}

/**
 * Multinomial logistic (softmax) regression with cross-entropy: for each class k,
 * `z_k = b_k + w_k · x`; `p = softmax(z)`; loss `-log p_y`, computed from the logits as
 * `logsumexp(z) - z_y` (so it stays finite and exact where p_y underflows); gradient
 * `(p_k - [k = y]) [1, x]` for each class. The softmax subtracts `max z` before
 * exponentiating, so no logit overflows.
 *
 * Parameters: K blocks of `features + 1`, class 0 first, each bias first then one
 * weight per feature (size `K (features + 1)`). Outputs: the K probabilities; `predict`
 * returns the most probable class (the first on ties). Buffer: the K probabilities,
 * the K logits, then `logsumexp(z)` (`2K + 1` numbers).
 *
 * @param options - {@link SoftmaxRegressionOptions}.
 * @returns the model.
 * @example
 * ```ts
 * import { softmaxRegression } from '@adamflow/stream';
 * const model = softmaxRegression({ features: 2, classes: 3 });
 * const out = new Float64Array(model.bufferSize);
 * model.predict(new Float64Array(model.size), [1, 2], 0, out); // 0; out starts [1/3, 1/3, 1/3]
 * ```
 */
export function softmaxRegression(options: SoftmaxRegressionOptions): Model {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(
      'softmaxRegression: pass options { features, classes }, e.g. { features: 4, classes: 3 }',
    );
  }
  const features = featureCount('softmaxRegression', options);
  const classes = options.classes;
  if (!Number.isInteger(classes) || classes < 2) {
    throw new RangeError(
      `softmaxRegression: classes must be an integer >= 2, got ${String(classes)}`,
    );
  }
  const stride = features + 1;
  const own = new Float64Array(2 * classes + 1);
  return {
    kind: 'softmax-regression',
    spec: { kind: 'softmax-regression', features, classes },
    task: 'classification',
    features,
    outputs: classes,
    size: classes * stride,
    bufferSize: 2 * classes + 1,
    predict(params, x, offset = 0, out = own) {
      let max = Number.NEGATIVE_INFINITY;
      let best = 0;
      for (let k = 0; k < classes; k++) {
        const z = linearPredictor(params, x, offset, features, k * stride);
        out[classes + k] = z;
        if (z > max) {
          max = z;
          best = k;
        }
      }
      return softmaxInPlace(out, classes, max, best);
    },
    loss: (_prediction, y, out = own) => out[2 * classes]! - out[classes + y]!,
    accumulateGradient(_params, x, offset, y, _prediction, grad, weight, out = own) {
      for (let k = 0; k < classes; k++) {
        const r = (out[k]! - (k === y ? 1 : 0)) * weight;
        const start = k * stride;
        grad[start]! += r;
        for (let j = 0; j < features; j++) grad[start + j + 1]! += r * x[offset + j]!;
      }
    },
  };
}

/**
 * From logits in `out[K .. 2K)` with maximum `max`: probabilities into `out[0 .. K)`
 * and `logsumexp` into `out[2K]`; returns `best`. A NaN logit makes every output NaN.
 * @internal
 */
export function softmaxInPlace(
  out: Float64Array,
  classes: number,
  max: number,
  best: number,
): number {
  if (!Number.isFinite(max)) {
    // Every logit -Infinity, or one +Infinity / NaN: no finite shift exists.
    for (let k = 0; k < classes; k++) out[k] = Number.NaN;
    out[2 * classes] = Number.NaN;
    return best;
  }
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    const e = Math.exp(out[classes + k]! - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < classes; k++) out[k] = out[k]! / sum;
  out[2 * classes] = max + Math.log(sum);
  return best;
}
