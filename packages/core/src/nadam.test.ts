import { describe, expect, it } from 'vitest';
import { AdamflowError, NAdam } from './index.js';

const grads = [
  [0.5, -1, 2],
  [0.25, 0.75, -3],
  [-1, 0.5, 1],
  [2, -2, 0.125],
];

describe('NAdam', () => {
  it('keeps the product of momentum coefficients in its snapshot and continues bitwise from it', () => {
    const a = new NAdam(new Float64Array([1, 2, 3]), { lr: 0.01 });
    a.step(grads[0]!);
    a.set({ momentumDecay: 0.02, beta1: 0.8 });
    a.step(grads[1]!);
    const snapshot = a.state();
    // The product holds the first step's mu (beta1 0.9) and the second's (beta1 0.8).
    const mu = (beta1: number, t: number, psi: number) => beta1 * (1 - 0.5 * 0.96 ** (t * psi));
    expect(snapshot.scalars?.['muProduct']).toBe(mu(0.9, 1, 4e-3) * mu(0.8, 2, 0.02));
    const b = new NAdam(new Float64Array(3), { lr: 0.01 });
    b.loadState(JSON.parse(JSON.stringify(snapshot)));
    for (const g of grads.slice(2)) {
      a.step(g);
      b.step(g);
    }
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
    expect(b.state()).toEqual(a.state());
  });

  it('refuses a snapshot without a finite muProduct, changing nothing', () => {
    const opt = new NAdam(new Float64Array([1, 2, 3]));
    opt.step(grads[0]!);
    const good = opt.state();
    const before = JSON.stringify(good);
    const bad: unknown[] = [
      { ...good, scalars: undefined },
      { ...good, scalars: {} },
      { ...good, scalars: { muProduct: Number.NaN } },
      { ...good, scalars: { muProduct: '0.9' as never } },
    ];
    for (const snapshot of bad) {
      expect(() => opt.loadState(snapshot)).toThrow(AdamflowError);
      expect(() => opt.loadState(snapshot)).toThrow(/scalar|scalars/);
      expect(JSON.stringify(opt.state())).toBe(before);
    }
  });

  it('reset() starts the product again from 1', () => {
    const opt = new NAdam(new Float64Array([1, 2, 3]));
    opt.step(grads[0]!);
    opt.reset();
    expect(opt.state().scalars).toEqual({ muProduct: 1 });
  });
});
