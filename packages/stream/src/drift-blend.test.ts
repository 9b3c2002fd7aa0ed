import { describe, expect, it } from 'vitest';
import { blendConcepts } from './drift-blend.js';

const concepts = [
  { bias: 4, weights: [3, -1] },
  { bias: 1, weights: [-2, 0.5] },
  { bias: -3, weights: [0.25, 2] },
];

describe('blendConcepts', () => {
  it('is half way between two concepts at their change, and at a concept far from any change', () => {
    // Width 4: a change is over (to 1e-17) within 40 samples of its position.
    const at = (t: number) => {
      const weights = new Float64Array(2);
      return [blendConcepts(concepts, [30, 70], 4, t, weights), ...weights];
    };
    const found = [at(-100), at(30), at(50), at(70), at(200)];
    const expected = [
      [4, 3, -1],
      [2.5, 0.5, -0.25],
      [1, -2, 0.5],
      [-1, -0.875, 1.25],
      [-3, 0.25, 2],
    ];
    // At 50 each change is 2e-9 from its end: within 1e-7 of concept 1, not exactly on it.
    const misses = found.flatMap((row, i) =>
      row.filter((value, j) => Math.abs(value - expected[i]![j]!) > 1e-7).map(() => i),
    );
    expect(misses).toEqual([]);
  });

  it('steps at each position when width is 0', () => {
    const at = (t: number) => {
      const weights = [0, 0];
      return [blendConcepts(concepts, [30, 70], 0, t, weights), ...weights];
    };
    expect([at(29), at(30), at(69), at(70)]).toEqual([
      [4, 3, -1],
      [1, -2, 0.5],
      [1, -2, 0.5],
      [-3, 0.25, 2],
    ]);
  });
});
