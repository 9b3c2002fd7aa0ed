import { describe, expect, it } from 'vitest';
import { Adagrad } from './index.js';

describe('Adagrad', () => {
  it('starts the sum at initialAccumulatorValue, and reset() refills it with the current value', () => {
    const opt = new Adagrad(new Float64Array([1, 2]), { initialAccumulatorValue: 0.25 });
    expect(Array.from(opt.squareSum)).toEqual([0.25, 0.25]);
    opt.step([0.5, -1]);
    expect(Array.from(opt.squareSum)).toEqual([0.25 + 0.25, 0.25 + 1]);
    opt.set({ initialAccumulatorValue: 2 });
    expect(Array.from(opt.squareSum)).toEqual([0.5, 1.25]);
    opt.reset();
    expect(Array.from(opt.squareSum)).toEqual([2, 2]);
  });

  it("starts each parameter group's sum at the group's own initialAccumulatorValue", () => {
    const opt = new Adagrad(new Float64Array(5), {
      initialAccumulatorValue: 0.5,
      groups: [{ range: [0, 2] }, { range: [2, 5], initialAccumulatorValue: 3 }],
    });
    expect(Array.from(opt.squareSum)).toEqual([0.5, 0.5, 3, 3, 3]);
    opt.step([1, 1, 1, 1, 1]);
    opt.reset();
    expect(Array.from(opt.squareSum)).toEqual([0.5, 0.5, 3, 3, 3]);
  });

  it('decays the rate as lr / (1 + (t - 1) * lrDecay)', () => {
    // A constant gradient 1 with eps 0: step t moves by its rate / sqrt(t).
    const lr = 0.5;
    const lrDecay = 0.25;
    const opt = new Adagrad(new Float64Array([0]), { lr, lrDecay, eps: 0 });
    let last = 0;
    let sum = 0;
    for (let t = 1; t <= 6; t++) {
      opt.step([1]);
      sum += 1;
      const move = last - opt.params[0]!;
      last = opt.params[0]!;
      expect(move).toBeCloseTo(lr / (1 + (t - 1) * lrDecay) / Math.sqrt(sum), 15);
    }
  });
});
