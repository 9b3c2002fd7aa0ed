import { describe, expect, it } from 'vitest';
import { decodeGradient, encodeGradient } from './gradient-codec.js';

const message = {
  step: 12,
  sampleSequence: 345,
  samples: 256,
  loss: 0.1 + 0.2,
  gradient: new Float64Array([Math.PI, -0, 5e-324, -1.7976931348623157e308]),
};

describe('gradient messages', () => {
  it('round-trip every field bit for bit', () => {
    const decoded = decodeGradient(encodeGradient(message));
    expect(decoded).toEqual(message);
    expect(Object.is(decoded.gradient[1], -0)).toBe(true);
  });

  it('decode at any offset of a larger buffer (a Node Buffer from a shared pool too)', () => {
    const bytes = encodeGradient(message);
    const decoded = [0, 3, 8].map((pad) => {
      const inside = Buffer.concat([Buffer.alloc(pad, 0xff), Buffer.from(bytes), Buffer.alloc(5)]);
      return decodeGradient(inside.subarray(pad, pad + bytes.byteLength));
    });
    expect(decoded).toEqual([message, message, message]);
  });

  it('lay the gradient out little-endian after the header', () => {
    const bytes = encodeGradient(message);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(Array.from(message.gradient, (_, i) => view.getFloat64(40 + 8 * i, true))).toEqual(
      Array.from(message.gradient),
    );
  });

  it('are 40 header bytes and 8 per parameter', () => {
    expect(encodeGradient(message).byteLength).toBe(40 + 8 * 4);
  });

  it('refuse anything else with a code', () => {
    const bytes = encodeGradient(message);
    const corrupt = (edit: (copy: Uint8Array) => Uint8Array | undefined) => {
      const copy = bytes.slice();
      try {
        decodeGradient(edit(copy) ?? copy);
        return 'decoded';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect([
      corrupt((copy) => copy.subarray(0, 39)),
      corrupt((copy) => copy.subarray(0, copy.byteLength - 8)),
      corrupt((copy) => {
        copy[0] = 0;
        return undefined;
      }),
      corrupt((copy) => {
        copy[4] = 2;
        return undefined;
      }),
    ]).toEqual(Array(4).fill('ADAMFLOW_ERR_GRADIENT_MESSAGE_INVALID'));
  });

  it('check their tags when encoding', () => {
    expect(() => encodeGradient({ ...message, step: -1 })).toThrow(/step must be/);
    expect(() => encodeGradient({ ...message, samples: 0 })).toThrow(/samples must be/);
    expect(() => encodeGradient({ ...message, gradient: new Float64Array(0) })).toThrow(/gradient/);
  });
});
