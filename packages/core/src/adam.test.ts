import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from './index.js';

describe('Adam', () => {
  it('first step moves every coordinate by lr against the gradient sign (bias correction)', () => {
    const params = new Float64Array([0, 0, 0]);
    new Adam(params, { lr: 0.1, eps: 0 }).step([3, -1e-20, 5e10]);
    expect(Array.from(params)).toEqual([-0.1, 0.1, -0.1].map((x) => expect.closeTo(x, 15)));
  });

  it('exposes the step count and the moment buffers', () => {
    const opt = new Adam(new Float64Array([0, 0]));
    opt.step([1, -2]);
    expect(opt.stepCount).toBe(1);
    expect(opt.firstMoment[0]).toBeCloseTo(0.1, 15);
    expect(opt.firstMoment[1]).toBeCloseTo(-0.2, 15);
    expect(opt.secondMoment[1]).toBeCloseTo(0.004, 15);
    expect(opt.firstMoment).toBeInstanceOf(Float64Array);
  });

  it('moments take the params dtype', () => {
    const opt = new Adam(new Float32Array(2));
    expect(opt.firstMoment).toBeInstanceOf(Float32Array);
  });

  it('maximize ascends', () => {
    const params = new Float64Array([0]);
    new Adam(params, { lr: 0.1, maximize: true }).step([1]);
    expect(params[0]).toBeGreaterThan(0);
  });

  it('AMSGrad keeps the running maximum of v and can be turned on mid-run', () => {
    const opt = new Adam(new Float64Array([0]), { lr: 0.1 });
    opt.step([10]);
    opt.set({ amsgrad: true });
    opt.step([0]);
    expect(opt.maxSecondMoment[0]).toBe(opt.secondMoment[0]);
    const peak = opt.maxSecondMoment[0]!;
    opt.step([0]);
    expect(opt.secondMoment[0]).toBeLessThan(peak);
    expect(opt.maxSecondMoment[0]).toBe(peak);
  });

  it('clipNorm rescales to the given norm, even when squares overflow', () => {
    const a = new Adam(new Float64Array([0, 0]), { lr: 0.1, clipNorm: 1 });
    a.step([3e200, 4e200]);
    // the clipped gradient is [0.6, 0.8] (to 1e-6), so m = 0.1 * that
    expect(a.firstMoment[0]).toBeCloseTo(0.06, 6);
    expect(a.firstMoment[1]).toBeCloseTo(0.08, 6);
  });

  it('clipValue clamps each entry', () => {
    const a = new Adam(new Float64Array([0, 0]), { clipValue: 0.5 });
    a.step([3, -0.25]);
    expect(a.firstMoment[0]).toBeCloseTo(0.05, 15);
    expect(a.firstMoment[1]).toBeCloseTo(-0.025, 15);
  });

  it('AdamW decays params by 1 - lr * weightDecay, and the moments see the raw gradient', () => {
    const params = new Float64Array([2]);
    const opt = new AdamW(params, { lr: 0.1, weightDecay: 0.5, eps: 0 });
    expect(opt.options.weightDecay).toBe(0.5);
    opt.step([1]);
    expect(params[0]).toBeCloseTo(2 * (1 - 0.05) - 0.1, 15);
    expect(opt.firstMoment[0]).toBeCloseTo(0.1, 15);
    expect(new AdamW(new Float64Array(1)).options.weightDecay).toBe(0.01);
    expect(
      new AdamW(new Float64Array(1), { weightDecay: undefined } as never).options.weightDecay,
    ).toBe(0.01);
  });

  it('Adam weight decay is L2 on the gradient', () => {
    const opt = new Adam(new Float64Array([2]), { weightDecay: 0.5 });
    opt.step([1]);
    expect(opt.firstMoment[0]).toBeCloseTo(0.1 * (1 + 0.5 * 2), 15);
  });

  it('a snapshot of a scheduled lr stores null and keeps the target schedule', () => {
    const schedule = (step: number) => 0.1 / (step + 1);
    const a = new Adam(new Float64Array([1]), { lr: schedule });
    a.step([1]);
    const s = a.state();
    expect(s.hyper['lr']).toBeNull();
    const b = new Adam(new Float64Array(1), { lr: schedule });
    b.loadState(s);
    a.step([1]);
    b.step([1]);
    expect(b.params[0]).toBe(a.params[0]);
  });
});
