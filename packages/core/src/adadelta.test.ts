import { describe, expect, it } from 'vitest';
import { Adadelta } from './index.js';

describe('Adadelta', () => {
  it('defaults to lr 1, rho 0.9, eps 1e-6 (PyTorch)', () => {
    const { lr, rho, eps } = new Adadelta(new Float64Array(1)).options;
    expect([lr, rho, eps]).toEqual([1, 0.9, 1e-6]);
  });

  it('accepts rho 1 as PyTorch does (the averages then never move)', () => {
    const opt = new Adadelta(new Float64Array([1]), { rho: 1 });
    opt.step([0.5]);
    // s = 0, a = 0: the step is sqrt(eps) / sqrt(eps) * g = g, times lr 1.
    expect(opt.params[0]).toBe(0.5);
    expect(Array.from(opt.squareAverage)).toEqual([0]);
  });

  it('first step: sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g', () => {
    const opt = new Adadelta(new Float64Array([0]), { rho: 0.9, eps: 1e-6, lr: 2 });
    opt.step([3]);
    expect(opt.params[0]).toBeCloseTo((-2 * Math.sqrt(1e-6) * 3) / Math.sqrt(0.1 * 9 + 1e-6), 15);
  });
});
