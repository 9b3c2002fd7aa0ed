import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Random } from './random.js';

// fixtures/random-reference.json: an independent C implementation (make-random-fixture.c).
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/random-reference.json', import.meta.url), 'utf8'),
) as { cases: { seed: number; uint32: number[]; uniform: number[]; normal: number[] }[] };

describe('Random against the C reference', () => {
  for (const c of reference.cases) {
    it(`seed ${c.seed}: uint32, uniform and normal streams`, () => {
      const random = new Random(c.seed);
      expect(Array.from({ length: 100 }, () => random.nextUint32())).toEqual(c.uint32);
      // uniform() uses only exact integer maths and one correctly rounded division.
      expect(Array.from({ length: 100 }, () => random.uniform())).toEqual(c.uniform);
      // normal() goes through Math.log: V8's fdlibm and glibc may differ in the last bit.
      const normals = Array.from({ length: 1000 }, () => random.normal());
      const off = normals
        .map((n, i) => ({ i, n, reference: c.normal[i]! }))
        .filter(
          ({ n, reference }) => !(Math.abs(n - reference) <= 4e-16 * Math.max(1, Math.abs(n))),
        );
      expect(off).toEqual([]);
    });
  }
});

describe('Random', () => {
  it('state() restores an identical continuation, including a cached spare normal', () => {
    const a = new Random(7);
    a.normal(); // leaves a spare
    const b = Random.fromState(JSON.parse(JSON.stringify(a.state())));
    for (let i = 0; i < 100; i++) expect(b.normal()).toBe(a.normal());
    expect(b.uniform()).toBe(a.uniform());
  });
  it('uniform is in [0, 1) and normal has mean 0, variance 1', () => {
    const random = new Random(1);
    let sum = 0;
    let squares = 0;
    // Collected, then asserted once: an expect per draw made this test CPU-bound.
    const outside: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const u = random.uniform();
      if (!(u >= 0 && u < 1)) outside.push(u);
      const n = random.normal();
      sum += n;
      squares += n * n;
    }
    expect(outside).toEqual([]);
    expect(Math.abs(sum / 100_000)).toBeLessThan(0.02);
    expect(Math.abs(squares / 100_000 - 1)).toBeLessThan(0.02);
  });
  it('refuses a non-integer seed and a malformed state', () => {
    expect(() => new Random(0.5)).toThrow(TypeError);
    expect(() => Random.fromState({ s: [0, 0, 0, 0], spare: null })).toThrow(/not all 0/);
    expect(() => Random.fromState({ s: [1, 2, 3], spare: null } as never)).toThrow(TypeError);
  });
});
