import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFloatsInto, encodeFloats, isFloatsOfLength } from './base64.js';

describe('float base64 codec', () => {
  it('round-trips every float64 bit pattern, including -0, NaN payloads and subnormals', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 50 }), (values) => {
        const a = new Float64Array(values);
        const b = new Float64Array(a.length);
        expect(decodeFloatsInto(encodeFloats(a), b)).toBe(true);
        expect(new Uint8Array(b.buffer)).toEqual(new Uint8Array(a.buffer));
      }),
    );
    const special = new Float64Array([-0, 5e-324, Number.MAX_VALUE, Number.NaN]);
    const back = new Float64Array(4);
    decodeFloatsInto(encodeFloats(special), back);
    expect(Object.is(back[0], -0)).toBe(true);
    expect(back[1]).toBe(5e-324);
  });
  it('round-trips float32 and subarray views (only the view bytes)', () => {
    const base = new Float32Array([1.5, -2.25, 3.125, 9]);
    const view = base.subarray(1, 3);
    const out = new Float32Array(2);
    expect(decodeFloatsInto(encodeFloats(view), out)).toBe(true);
    expect(Array.from(out)).toEqual([-2.25, 3.125]);
  });
  it('matches Node Buffer base64', () => {
    const a = new Float64Array([1, 2, 3]);
    expect(encodeFloats(a)).toBe(Buffer.from(a.buffer).toString('base64'));
  });
  it('refuses bad text and wrong lengths without touching the target', () => {
    const target = new Float64Array([7]);
    expect(decodeFloatsInto('####', target)).toBe(false);
    expect(decodeFloatsInto(encodeFloats(new Float64Array(2)), target)).toBe(false);
    expect(target[0]).toBe(7);
    expect(isFloatsOfLength(42, 8)).toBe(false);
    expect(isFloatsOfLength(encodeFloats(new Float64Array(1)), 8)).toBe(true);
  });
});
