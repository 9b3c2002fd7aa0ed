import type { ModelOptions } from '../model.js';

/**
 * The feature count of a generalized linear model's options, validated.
 * @internal
 */
export function featureCount(name: string, options: ModelOptions): number {
  const features = options.features ?? 1;
  if (!Number.isInteger(features) || features < 1) {
    throw new RangeError(`${name}: features must be a positive integer, got ${String(features)}`);
  }
  return features;
}

/**
 * `b + w · x` for the layout bias first, then one weight per feature, from `start`.
 * @internal
 */
export function linearPredictor(
  params: ArrayLike<number>,
  x: ArrayLike<number>,
  offset: number,
  features: number,
  start = 0,
): number {
  let z = params[start]!;
  for (let j = 0; j < features; j++) z += params[start + j + 1]! * x[offset + j]!;
  return z;
}
