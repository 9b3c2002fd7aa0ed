import { describe, expect, it } from 'vitest';
import {
  Adam,
  constantSchedule,
  cosineSchedule,
  exponentialSchedule,
  stepDecaySchedule,
  warmupSchedule,
} from './index.js';

describe('schedules', () => {
  it('constant', () => {
    expect(constantSchedule(0.3)(0)).toBe(0.3);
    expect(constantSchedule(0.3)(1e9)).toBe(0.3);
  });
  it('step decay halves every stepSize steps', () => {
    const s = stepDecaySchedule({ lr: 0.8, stepSize: 10, gamma: 0.5 });
    expect([0, 9, 10, 19, 20, 35].map(s)).toEqual([0.8, 0.8, 0.4, 0.4, 0.2, 0.1]);
  });
  it('exponential', () => {
    expect(exponentialSchedule({ lr: 1, gamma: 0.5 })(3)).toBe(0.125);
  });
  it('cosine goes from lr to minLr and stays there', () => {
    const s = cosineSchedule({ lr: 0.1, steps: 100, minLr: 0.01 });
    expect(s(0)).toBe(0.1);
    expect(s(50)).toBeCloseTo(0.055, 15);
    expect(s(100)).toBeCloseTo(0.01, 15);
    expect(s(500)).toBeCloseTo(0.01, 15);
  });
  it('warmup composes with cosine: rises linearly, then anneals from its own step 0', () => {
    const cos = cosineSchedule({ lr: 0.1, steps: 100 });
    const s = warmupSchedule({ steps: 10, after: cos });
    expect(s(0)).toBeCloseTo(0.01, 15);
    expect(s(5)).toBeCloseTo(0.055, 15);
    expect(s(10)).toBe(cos(0));
    expect(s(60)).toBe(cos(50));
  });
  it('the optimizer asks the schedule with the 0-based step index', () => {
    const seen: number[] = [];
    const opt = new Adam(new Float64Array(1), {
      lr: (step) => {
        seen.push(step);
        return 0.1;
      },
    });
    opt.step([1]);
    opt.step([1]);
    expect(seen).toEqual([0, 1]);
    expect(opt.lr).toBe(0.1);
  });
  it('lr can change between steps, as a number or a schedule', () => {
    const a = new Adam(new Float64Array([1]), { lr: 0.1 });
    const b = new Adam(new Float64Array([1]), { lr: (step) => (step < 1 ? 0.1 : 0.01) });
    a.step([1]);
    b.step([1]);
    a.set({ lr: 0.01 });
    a.step([1]);
    b.step([1]);
    expect(a.params[0]).toBe(b.params[0]);
  });
});
