// A drift source's concept at a position, for its generator (per sample, into a reused
// array) and for the catalogue's true parameters (reference lines): one formula in one
// order of operations, so the two agree bitwise.
import type { Concept } from './generators.js';

/**
 * Moves from concept 0 towards each next concept by a sigmoid `width` samples wide
 * centred on that change's position (a step at the position when `width` is 0), writes
 * the weights at `position` into `weights` and returns the bias. Allocates nothing.
 *
 * @param concepts - the lines, one more than `positions`.
 * @param positions - where each change is centred, in samples.
 * @param width - the sigmoid's width in samples; 0 for abrupt changes.
 * @param position - the sample to blend for.
 * @param weights - receives the blended weights; its length is the feature count.
 * @returns the blended bias.
 * @example
 * ```ts
 * const weights = [0];
 * const concepts = [{ bias: 4, weights: [3] }, { bias: 1, weights: [-2] }];
 * blendConcepts(concepts, [100], 40, 100, weights); // 2.5, and weights is [0.5]
 * ```
 */
export function blendConcepts(
  concepts: readonly Concept[],
  positions: readonly number[],
  width: number,
  position: number,
  weights: number[] | Float64Array,
): number {
  const first = concepts[0]!;
  let bias = first.bias;
  for (let j = 0; j < weights.length; j++) weights[j] = first.weights[j]!;
  for (let k = 0; k < positions.length; k++) {
    const p = positions[k]!;
    const share =
      width === 0 ? (position >= p ? 1 : 0) : 1 / (1 + Math.exp((-4 * (position - p)) / width));
    if (share === 0) continue;
    const next = concepts[k + 1]!;
    bias += share * (next.bias - bias);
    for (let j = 0; j < weights.length; j++)
      weights[j]! += share * (next.weights[j]! - weights[j]!);
  }
  return bias;
}
