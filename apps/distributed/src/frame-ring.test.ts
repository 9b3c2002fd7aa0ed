import { describe, expect, it } from 'vitest';
import { FrameRing } from './frame-ring.js';

const frame = (seq: number) => ({ seq, data: Buffer.from(String(seq)) });

describe('FrameRing', () => {
  it('keeps the newest frames and knows from which sequence it is complete', () => {
    const ring = new FrameRing(3, 1);
    // Sequence 4 was a skipped broker message: a hole in seq, not in completeness.
    for (const seq of [1, 2, 3, 5, 6]) ring.push(frame(seq));
    expect(ring.size).toBe(3);
    expect(ring.from).toBe(3);
    expect(ring.after(0).map((f) => f.seq)).toEqual([3, 5, 6]);
    expect(ring.after(3).map((f) => f.seq)).toEqual([5, 6]);
    expect([ring.holds(1), ring.holds(2), ring.holds(6)]).toEqual([false, true, true]);
  });

  it('stays bounded over many frames', () => {
    const ring = new FrameRing(4, 1);
    for (let seq = 1; seq <= 1000; seq++) ring.push(frame(seq));
    expect(ring.after(0).map((f) => f.seq)).toEqual([997, 998, 999, 1000]);
    expect(ring.from).toBe(997);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new FrameRing(0, 1)).toThrow('ring size must be an integer >= 1, got 0');
  });
});
