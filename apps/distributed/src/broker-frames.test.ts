import { describe, expect, it } from 'vitest';
import { FrameBuilder, type SessionLook } from './broker-frames.js';
import { encodeUpdate, type ParamsUpdateMessage } from './params-updates.js';

const look: SessionLook = {
  session: 'demo',
  config: {
    source: 'seed',
    model: 'linear-regression',
    features: 1,
    optimizer: 'adam',
    lr: 0.01,
    batchSize: 1,
    rate: null,
    paused: false,
  },
  truth: [4, 3],
};
const encoder = new TextEncoder();
const update = (n: number, params = [n, -n], extra: Partial<ParamsUpdateMessage> = {}) =>
  encodeUpdate({
    format: 'adamflow.params-update',
    version: 1,
    session: 'demo',
    epoch: 'input',
    seq: n,
    samples: n * 1000,
    step: n * 1000,
    lossEma: 0.5,
    params,
    ...extra,
  });

describe('FrameBuilder', () => {
  it('makes params-update frames whose rate comes from the message just before', () => {
    const frames = new FrameBuilder(look);
    const first = frames.next({ seq: 1, time: 1000, data: update(1) });
    const second = frames.next({ seq: 2, time: 1500, data: update(2) });
    expect(first).toMatchObject({
      ok: true,
      frame: { type: 'params-update', seq: 1, samplesPerSecond: 0 },
    });
    expect(second).toMatchObject({
      ok: true,
      frame: {
        seq: 2,
        time: 1500,
        samples: 2000,
        params: [2, -2],
        samplesPerSecond: 2000,
        truth: [4, 3],
      },
    });
  });

  it("carries a big model's paramCount into its frame, skips a bad one, adds none to a small model's", () => {
    const frames = new FrameBuilder(look);
    const first = Array.from({ length: 1024 }, (_, j) => j / 8);
    const big = frames.next({ seq: 1, time: 1000, data: update(1, first, { paramCount: 91_201 }) });
    const small = frames.next({ seq: 2, time: 1000, data: update(2) });
    const bad = [1023, 0, 2.5, 1e10, -1].map((paramCount, i) =>
      frames.next({ seq: 3 + i, time: 1000, data: update(3 + i, first, { paramCount }) }),
    );
    expect(big).toMatchObject({ ok: true, frame: { params: first, paramCount: 91_201 } });
    expect(small.ok && 'paramCount' in small.frame).toBe(false);
    expect(bad.map((result) => result.ok)).toEqual([false, false, false, false, false]);
    expect(bad[0]).toEqual({ ok: false, reason: 'samples, step, params or paramCount invalid' });
  });

  it('makes a state-changed frame of a trainer state', () => {
    const state = {
      format: 'adamflow.trainer-state',
      version: 1,
      session: 'demo',
      epoch: 'input',
      reason: 'pause',
      paused: true,
      samples: 5,
      step: 5,
      params: [1, 2],
      optimizer: 'sgd',
      lr: 0.001,
      batchSize: 4,
    };
    const result = new FrameBuilder(look).next({
      seq: 7,
      time: 1,
      data: encoder.encode(JSON.stringify(state)),
    });
    expect(result).toMatchObject({
      ok: true,
      frame: {
        type: 'state-changed',
        seq: 7,
        reason: 'pause',
        config: { paused: true, optimizer: 'sgd', lr: 0.001, batchSize: 4 },
      },
    });
  });

  it('skips, with a reason and without throwing, whatever is not a valid message of the session', () => {
    const frames = new FrameBuilder(look, 4096);
    const bad = [
      update(1),
      new Uint8Array(5000),
      encoder.encode('{"format":'),
      encoder.encode('[1,2,3]'),
      encoder.encode('null'),
      update(2),
      encoder.encode(
        JSON.stringify({ format: 'adamflow.params-update', version: 1, session: 'other' }),
      ),
      encoder.encode(
        new TextDecoder().decode(update(1)).replace('"params":[1,-1]', '"params":[1,"x"]'),
      ),
      encoder.encode(new TextDecoder().decode(update(1)).replace('"version":1', '"version":2')),
    ];
    const results = bad.map((data, i) => frames.next({ seq: i + 1, time: i * 1000, data }));
    expect(results.map((r) => r.ok)).toEqual([
      true,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    // The skipped messages between break the rate: it is not made up.
    expect(results[5]).toMatchObject({ frame: { seq: 6, samplesPerSecond: 0 } });
  });
});
