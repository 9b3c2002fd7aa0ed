import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linearRegression, logisticRegression, type Model } from './model.js';

/** Central finite differences of the model's loss, as an independent check of the gradient. */
function numericGradient(model: Model, params: number[], x: number[], y: number): number[] {
  const h = 1e-6;
  return params.map((_, i) => {
    const plus = params.slice();
    const minus = params.slice();
    plus[i]! += h;
    minus[i]! -= h;
    const f = (p: number[]) => model.loss(model.predict(p, x), y);
    return (f(plus) - f(minus)) / (2 * h);
  });
}

const small = fc.double({ min: -3, max: 3, noNaN: true });

describe.each([
  ['linear regression', (features: number) => linearRegression({ features })],
  ['logistic regression', (features: number) => logisticRegression({ features })],
])('%s', (_name, make) => {
  it('gradient matches finite differences (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.infiniteStream(small),
        fc.boolean(),
        (d, numbers, label) => {
          const model = make(d);
          const it = numbers[Symbol.iterator]();
          const take = () => it.next().value as number;
          const params = Array.from({ length: d + 1 }, take);
          const x = Array.from({ length: d }, take);
          const y = model.task === 'classification' ? (label ? 1 : 0) : take();
          const grad = new Float64Array(d + 1);
          const prediction = model.predict(params, x);
          model.accumulateGradient(params, x, 0, y, prediction, grad, 1);
          const expected = numericGradient(model, params, x, y);
          grad.forEach((g, i) => {
            expect(Math.abs(g - expected[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(g)));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads a row in place at an offset', () => {
    const model = make(2);
    const rows = [9, 9, 0.5, -1.5, 9];
    expect(model.predict([1, 2, 3], rows, 2)).toBe(model.predict([1, 2, 3], [0.5, -1.5]));
  });

  it('weights the gradient (for minibatch averaging)', () => {
    const model = make(1);
    const a = new Float64Array(2);
    const b = new Float64Array(2);
    const p = model.predict([0.3, -0.2], [1.5]);
    model.accumulateGradient([0.3, -0.2], [1.5], 0, 1, p, a, 1);
    model.accumulateGradient([0.3, -0.2], [1.5], 0, 1, p, b, 0.25);
    expect(b[0]).toBeCloseTo(a[0]! / 4, 15);
    expect(b[1]).toBeCloseTo(a[1]! / 4, 15);
  });
});

describe('logistic regression', () => {
  it('stays finite for huge logits', () => {
    const model = logisticRegression();
    expect(model.predict([0, 1000], [1])).toBe(1);
    expect(model.predict([0, -1000], [1])).toBe(0);
    expect(Number.isFinite(model.loss(0, 1))).toBe(true);
    expect(model.loss(0.5, 1)).toBeCloseTo(Math.LN2, 15);
  });
});

describe('validation', () => {
  it('refuses a bad feature count', () => {
    expect(() => linearRegression({ features: 0 })).toThrow(RangeError);
    expect(() => logisticRegression({ features: 1.5 })).toThrow(/positive integer/);
  });
});
