import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff-delay.js';

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to maxDelay, waiting between half of it and all of it', () => {
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    const low = ceilings.map((_, i) => backoffDelay(i + 1, 100, 1000, () => 0));
    const mid = ceilings.map((_, i) => backoffDelay(i + 1, 100, 1000, () => 0.5));
    const high = ceilings.map((_, i) => backoffDelay(i + 1, 100, 1000, () => 0.99));
    expect(low).toEqual(ceilings.map((c) => c / 2));
    expect(mid).toEqual(ceilings.map((c) => c * 0.75));
    expect(high.every((d, i) => d < ceilings[i]! && d > ceilings[i]! * 0.99)).toBe(true);
  });

  it('stays finite and capped however many attempts failed', () => {
    expect(backoffDelay(5000, 250, 10_000, () => 0.5)).toBe(7500);
  });
});
