import { Adam } from '@adamflow/core';
import type { SeedData } from './seed-data.js';

/** What {@link replicate} reports after every iteration. */
export type IterationListener = (iteration: number, theta: Float64Array) => void;

/**
 * Replays the seed's batch experiment: full-batch gradient of the mean squared error,
 * `g = 2/m * Xb^T (Xb theta - y)` with `Xb = [1, x]`, fed to `@adamflow/core`'s Adam.
 *
 * @param data - the seed data set and hyperparameters.
 * @param onIteration - called after each iteration with the 1-based index and theta.
 * @returns theta after the last iteration, intercept first.
 * @example
 * ```ts
 * const theta = replicate(loadSeedData());
 * // theta ≈ [4.222150563870542, 2.9684679704452135]
 * ```
 */
export function replicate(data: SeedData, onIteration?: IterationListener): Float64Array {
  const { lr, beta1, beta2, eps, iterations } = data.hyperparameters;
  const theta = new Float64Array(data.theta0);
  const opt = new Adam(theta, { lr, beta1, beta2, eps });
  const grad = new Float64Array(2);
  const m = data.x.length;
  for (let iteration = 1; iteration <= iterations; iteration++) {
    let g0 = 0;
    let g1 = 0;
    for (let i = 0; i < m; i++) {
      const x = data.x[i]!;
      const residual = theta[0]! + theta[1]! * x - data.y[i]!;
      g0 += residual;
      g1 += x * residual;
    }
    grad[0] = (2 / m) * g0;
    grad[1] = (2 / m) * g1;
    opt.step(grad);
    onIteration?.(iteration, theta);
  }
  return theta;
}

/**
 * The ordinary least-squares line through the data, by the normal equations, as an
 * independent check of where Adam should end.
 *
 * @param x - inputs.
 * @param y - targets.
 * @returns `[intercept, slope]`.
 * @example
 * ```ts
 * leastSquares([0, 1, 2], [1, 3, 5]); // [1, 2]
 * ```
 */
export function leastSquares(x: readonly number[], y: readonly number[]): [number, number] {
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i]!;
    meanY += y[i]!;
  }
  meanX /= n;
  meanY /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - meanX) * (y[i]! - meanY);
    sxx += (x[i]! - meanX) ** 2;
  }
  const slope = sxy / sxx;
  return [meanY - slope * meanX, slope];
}
