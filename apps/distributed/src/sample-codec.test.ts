import { createGenerator, multilinearSpec } from '@adamflow/stream';
import { describe, expect, it } from 'vitest';
import { decodeSamples, encodeSamples } from './sample-codec.js';

const bits = (values: Float64Array) => Array.from(new BigUint64Array(values.slice().buffer));

describe('sample messages', () => {
  it('round-trip every value bit for bit, with the first index', () => {
    const generator = createGenerator(multilinearSpec({ seed: 3, features: 3 }));
    generator.nextBatch(1000);
    const batch = generator.nextBatch(256);
    const decoded = decodeSamples(encodeSamples(batch));
    expect({ ...decoded, x: bits(decoded.x), y: bits(decoded.y) }).toEqual({
      ...batch,
      x: bits(batch.x),
      y: bits(batch.y),
    });
    expect(decoded.start).toBe(1000);
  });

  it('are 24 header bytes and little-endian float64 values', () => {
    const batch = createGenerator(multilinearSpec({ seed: 1, features: 2 })).nextBatch(4);
    const bytes = encodeSamples(batch);
    expect(bytes.byteLength).toBe(24 + 8 * 4 * 3);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('AFSB');
    const view = new DataView(bytes.buffer);
    expect(view.getFloat64(24, true)).toBe(batch.x[0]);
    expect(view.getFloat64(24 + 8 * 8, true)).toBe(batch.y[0]);
  });

  it('decode bit for bit wherever the message lies in its buffer (aligned or not)', () => {
    const batch = createGenerator(multilinearSpec({ seed: 5, features: 2 })).nextBatch(64);
    const bytes = encodeSamples(batch);
    // A received message is a slice of a larger network buffer, at any byte offset.
    const decoded = [0, 1, 3, 8].map((shift) => {
      const buffer = new Uint8Array(bytes.length + 16);
      buffer.set(bytes, shift);
      const body = decodeSamples(buffer.subarray(shift, shift + bytes.length));
      return { x: bits(body.x), y: bits(body.y) };
    });
    expect(decoded).toEqual(Array(4).fill({ x: bits(batch.x), y: bits(batch.y) }));
  });

  it('copy a misaligned message into the scratch array when it is large enough', () => {
    const batch = createGenerator(multilinearSpec({ seed: 2, features: 2 })).nextBatch(8);
    const bytes = encodeSamples(batch);
    const misaligned = new Uint8Array(bytes.length + 1).subarray(1);
    misaligned.set(bytes);
    const scratch = new Float64Array(8 * 3);
    const small = new Float64Array(8 * 3 - 1);
    const decoded = [scratch, small].map((into) => decodeSamples(misaligned, into));
    expect(
      decoded.map(({ x, y }) => [x.buffer === scratch.buffer, y.buffer === scratch.buffer]),
    ).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(decoded.map(({ x, y }) => ({ x: bits(x), y: bits(y) }))).toEqual(
      Array(2).fill({ x: bits(batch.x), y: bits(batch.y) }),
    );
  });

  it('read an aligned message without copying it', () => {
    const bytes = encodeSamples(createGenerator(multilinearSpec({ seed: 1 })).nextBatch(8));
    const decoded = decodeSamples(bytes);
    expect([decoded.x.buffer === bytes.buffer, decoded.y.buffer === bytes.buffer]).toEqual([
      true,
      true,
    ]);
  });

  it('refuse what is not such a message, with a stable code', () => {
    const good = encodeSamples(createGenerator(multilinearSpec({ seed: 1 })).nextBatch(2));
    const versioned = good.slice();
    versioned[4] = 2;
    const cases = [
      good.subarray(0, 10),
      good.subarray(0, good.length - 8),
      versioned,
      new Uint8Array(64),
    ];
    const codes = cases.map((bytes) => {
      try {
        decodeSamples(bytes);
        return 'decoded';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    });
    expect(codes).toEqual(Array(4).fill('ADAMFLOW_ERR_SAMPLE_MESSAGE_INVALID'));
  });
});
