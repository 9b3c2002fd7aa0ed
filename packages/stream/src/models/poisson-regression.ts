import type { Model, ModelOptions } from '../model.js';
import { featureCount, linearPredictor } from './glm.js';

/** What a Poisson target must be, as error messages say it. */
const COUNT = 'a count, a finite number >= 0';

/**
 * Poisson regression (log link) for counts, as River's `linear_model.PoissonRegression`:
 * `eta = b + w · x`, prediction `mu = exp(eta)`, loss the Poisson negative
 * log-likelihood without its constant `log(y!)`, `mu - y eta` (River's `losses.Poisson`),
 * gradient `(mu - y) [1, x]`. Targets are counts, finite numbers >= 0 (not necessarily
 * integers, as in River): `checkTarget` refuses any other, so a pipeline stops at (or a
 * CSV adapter with `onBadRow: 'skip'` skips) a negative or non-finite count instead of
 * learning from it. Parameters: bias first, then one weight per feature. Buffer: `[mu, eta]`.
 *
 * @param options - {@link ModelOptions}.
 * @returns the model.
 * @example
 * ```ts
 * import { poissonRegression } from '@adamflow/stream';
 * const model = poissonRegression({ features: 1 });
 * model.predict([Math.log(3), 0], [5]); // 3 (to rounding)
 * model.checkTarget?.(-1); // 'a count, a finite number >= 0'
 * ```
 */
export function poissonRegression(options: ModelOptions = {}): Model {
  const features = featureCount('poissonRegression', options);
  const own = new Float64Array(2);
  return {
    kind: 'poisson-regression',
    spec: { kind: 'poisson-regression', features },
    task: 'regression',
    features,
    outputs: 1,
    size: features + 1,
    bufferSize: 2,
    predict(params, x, offset = 0, out = own) {
      const eta = linearPredictor(params, x, offset, features);
      const mu = Math.exp(eta);
      out[0] = mu;
      out[1] = eta;
      return mu;
    },
    checkTarget: (y) => (y >= 0 && y < Number.POSITIVE_INFINITY ? null : COUNT),
    loss: (mu, y, out = own) => mu - y * out[1]!,
    accumulateGradient(_params, x, offset, y, mu, grad, weight) {
      const r = (mu - y) * weight;
      grad[0]! += r;
      for (let j = 0; j < features; j++) grad[j + 1]! += r * x[offset + j]!;
    },
  };
}
