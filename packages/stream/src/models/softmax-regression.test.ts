import { describe, expect, it } from 'vitest';
import { softmaxRegression } from './softmax-regression.js';

describe('softmaxRegression', () => {
  it('stays finite and exact for huge logits (max-shifted softmax, loss from the logits)', () => {
    const model = softmaxRegression({ features: 1, classes: 3 });
    const out = new Float64Array(model.bufferSize);
    // Logits 1000, 0, -1000 at x = 1.
    const best = model.predict([0, 1000, 0, 0, 0, -1000], [1], 0, out);
    expect(best).toBe(0);
    expect(Array.from(out.subarray(0, 3))).toEqual([1, 0, 0]);
    expect(model.loss(best, 0, out)).toBe(0);
    expect(model.loss(best, 2, out)).toBe(2000);
    expect(model.loss(best, 1, out)).toBe(1000);
  });

  it('lays out K blocks, each bias first', () => {
    const model = softmaxRegression({ features: 2, classes: 2 });
    expect(model.size).toBe(6);
    const out = new Float64Array(model.bufferSize);
    model.predict([0, 0, 0, 1, 0, 0], [3, 0], 0, out); // class 1's bias 1
    expect(out[1]).toBeCloseTo(Math.exp(1) / (1 + Math.exp(1)), 15);
  });

  it('refuses bad options', () => {
    expect(() => softmaxRegression({ features: 2, classes: 1 })).toThrow(
      /classes must be an integer >= 2/,
    );
    expect(() => softmaxRegression(undefined as never)).toThrow(TypeError);
  });
});
