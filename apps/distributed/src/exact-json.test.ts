import { describe, expect, it } from 'vitest';
import { parseExact, stringifyExact } from './exact-json.js';

describe('exact JSON', () => {
  it('keeps NaN, the infinities and -0, and every finite float64 bit for bit', () => {
    const values = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      0,
      0.1 + 0.2,
      5e-324,
      -1.7976931348623157e308,
    ];
    const back = parseExact(stringifyExact({ values, nested: [{ v: -0 }] })) as {
      values: number[];
      nested: Array<{ v: number }>;
    };
    expect(back.values.map((v, i) => Object.is(v, values[i]))).toEqual(values.map(() => true));
    expect(Object.is(back.nested[0]!.v, -0)).toBe(true);
  });

  it('leaves other objects alone', () => {
    expect(parseExact(stringifyExact({ $f64: 'x', a: 1 }))).toEqual({ $f64: 'x', a: 1 });
  });
});
