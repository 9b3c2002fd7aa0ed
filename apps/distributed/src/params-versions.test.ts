import { describe, expect, it } from 'vitest';
import { decodeParamsVersion, encodeParamsVersion } from './params-versions.js';

const version = {
  epoch: '2026-11-29T16:00:00.123456789Z',
  step: 41,
  sequence: 57,
  params: new Float64Array([Math.E, -0, 5e-324, 1e308]),
};

describe('parameter versions', () => {
  it('round-trip bit for bit, at any offset of a larger buffer', () => {
    const bytes = encodeParamsVersion(version);
    const decoded = [0, 1, 8].map((pad) => {
      const inside = Buffer.concat([Buffer.alloc(pad, 0xff), Buffer.from(bytes), Buffer.alloc(3)]);
      return decodeParamsVersion(inside.subarray(pad, pad + bytes.byteLength));
    });
    expect(decoded).toEqual([version, version, version]);
    expect(Object.is(decoded[1]!.params[1], -0)).toBe(true);
  });

  it('are 32 header bytes, 8 per parameter, then the epoch; anything else is refused', () => {
    const bytes = encodeParamsVersion(version);
    expect(bytes.byteLength).toBe(32 + 8 * 4 + version.epoch.length);
    const codes = [bytes.subarray(0, 31), bytes.subarray(0, bytes.byteLength - 1)].map((cut) => {
      try {
        decodeParamsVersion(cut);
        return 'decoded';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    });
    expect(codes).toEqual(Array(2).fill('ADAMFLOW_ERR_UPDATE_MESSAGE_INVALID'));
  });
});
