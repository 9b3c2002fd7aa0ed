import { createGenerator, Learner, linearRegression, linearSpec } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsContext, openNats } from './nats-context.js';
import {
  decodeUpdate,
  encodeUpdate,
  MAX_VIEWER_PARAMS,
  ParamsUpdates,
  viewerParams,
} from './params-updates.js';
import { sessionNames } from './session-names.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'params-updates-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

const learner = () => {
  const made = new Learner({ model: linearRegression(), optimizer: 'adam' });
  made.optimizer.set({ lr: 0.01 });
  return made;
};

async function stored(session: string) {
  const names = sessionNames(session);
  const { last_seq: last } = (await nats.jsm.streams.info(names.updatesStream)).state;
  const updates = [];
  for (let seq = 1; seq <= last; seq++) {
    const message = await nats.jsm.streams.getMessage(names.updatesStream, { seq });
    updates.push(decodeUpdate(message!.data));
  }
  return updates;
}

describe('ParamsUpdates.queue', () => {
  it('publishes at every `every`-th sequence the state as of that sequence, stored once drained', async () => {
    const updates = new ParamsUpdates(nats, sessionNames('queued'), 'epoch-1', 3);
    await updates.open();
    const trained = learner();
    const generator = createGenerator(linearSpec({ seed: 8 }));
    const expected = [];
    for (let sequence = 1; sequence <= 30; sequence++) {
      trained.learnBatch(generator.nextBatch(16));
      if (sequence % 3 === 0) expected.push({ seq: sequence, params: Array.from(trained.params) });
      // Not awaited: the learner moves on while the update is on its way.
      void updates.queue(sequence, trained);
    }
    await updates.drain();
    const published = await stored('queued');
    expect(published.map(({ seq, params }) => ({ seq, params }))).toEqual(expected);
    expect(published.map(({ samples }) => samples)).toEqual(expected.map(({ seq }) => seq * 16));
  });

  it('makes the caller wait once 256 updates are unacknowledged', async () => {
    const updates = new ParamsUpdates(nats, sessionNames('backpressure'), 'epoch-1', 1);
    await updates.open();
    const trained = learner();
    // No acknowledgement can arrive while this loop runs: it never yields.
    const waits = Array.from({ length: 300 }, (_, i) => updates.queue(i + 1, trained));
    expect(waits.findIndex((wait) => wait !== undefined)).toBe(255);
    await Promise.all(waits);
    await updates.drain();
    expect((await stored('backpressure')).map(({ seq }) => seq)).toEqual(
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
  });

  it('reports a publish that failed when drained', async () => {
    const names = sessionNames('lost');
    const updates = new ParamsUpdates(nats, names, 'epoch-1', 1);
    await updates.open();
    await nats.jsm.streams.delete(names.updatesStream);
    updates.queue(1, learner());
    await expect(updates.drain()).rejects.toThrow();
  });
});

describe("a big model's viewers' update", () => {
  it('carries its first MAX_VIEWER_PARAMS parameters and its count; a small one is unchanged, byte for byte', async () => {
    const names = sessionNames('big-view');
    const updates = new ParamsUpdates(nats, names, 'epoch-1', 1);
    await updates.open();
    const state = { samples: 256, step: 1, lossEma: 0.25 };
    const big = Float64Array.from({ length: 91_201 }, (_, j) => j / 3);
    const small = Float64Array.from({ length: MAX_VIEWER_PARAMS }, (_, j) => -j / 3);
    await updates.publish(1, { ...state, params: big });
    await updates.publish(2, { ...state, params: small });
    const [first, second] = await stored('big-view');
    expect({ params: first!.params, paramCount: first!.paramCount }).toEqual({
      params: Array.from(big.subarray(0, MAX_VIEWER_PARAMS)),
      paramCount: 91_201,
    });
    // What a small model's update was before there was a count: every field, in this order.
    const before = {
      format: 'adamflow.params-update',
      version: 1,
      session: 'big-view',
      epoch: 'epoch-1',
      seq: 2,
      ...state,
      params: Array.from(small),
    } as const;
    const message = await nats.jsm.streams.getMessage(names.updatesStream, { seq: 2 });
    expect(Buffer.from(message!.data).equals(Buffer.from(encodeUpdate(before)))).toBe(true);
    expect('paramCount' in second!).toBe(false);
    expect(viewerParams([1, 2])).toEqual({ params: [1, 2] });
  });
});
