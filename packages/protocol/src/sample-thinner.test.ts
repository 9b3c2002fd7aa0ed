import { describe, expect, it } from 'vitest';
import { MAX_RECENT_PER_UPDATE, SampleThinner } from './sample-thinner.js';

describe('SampleThinner', () => {
  it('keeps every pair while under the limit, rounded to 4 decimals', () => {
    const thinner = new SampleThinner(8);
    for (let i = 0; i < 5; i++) thinner.offer(i / 3, -i / 7);
    const taken = thinner.take();
    expect(taken.x).toEqual([0, 1, 2, 3, 4].map((i) => Math.round((i / 3) * 1e4) / 1e4));
    expect(taken.y).toEqual([0, 1, 2, 3, 4].map((i) => Math.round((-i / 7) * 1e4) / 1e4));
    expect(thinner.take()).toEqual({ x: [], y: [] });
  });

  it('keeps at most the limit, spread evenly over everything offered since the last take', () => {
    const thinner = new SampleThinner();
    const offered = 100_000;
    for (let i = 0; i < offered; i++) thinner.offer(i, i);
    expect(thinner.size).toBe(offered);
    const { x } = thinner.take();
    expect(x).toHaveLength(MAX_RECENT_PER_UPDATE);
    const gaps = x.slice(1).map((value, i) => value - x[i]!);
    // Evenly spread (gaps within a factor of two), spanning most of what was offered.
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * Math.min(...gaps));
    expect(x.at(-1)! - x[0]!).toBeGreaterThan(offered * 0.9);
    expect(thinner.size).toBe(0);
  });

  it('refuses a limit it cannot honour', () => {
    expect(() => new SampleThinner(0)).toThrow(/limit must be an integer from 1 to 1024, got 0/);
  });
});
