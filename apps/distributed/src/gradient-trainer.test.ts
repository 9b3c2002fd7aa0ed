import { createOptimizer, optimizers } from '@adamflow/core';
import { linearSpec } from '@adamflow/stream';
import { AckPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGradientCheckpoint } from './gradient-checkpoint.js';
import { encodeGradient } from './gradient-codec.js';
import { ensureGradientStream } from './gradient-stream.js';
import { runGradientTrainer } from './gradient-trainer.js';
import { type NatsContext, openNats } from './nats-context.js';
import { decodeUpdate } from './params-updates.js';
import { produce } from './produce.js';
import { sessionNames } from './session-names.js';
import { replayGradients } from './testing/replay-gradients.js';
import { ADAMFLOW, runNode } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';
import { runWorker, type WorkerResult } from './worker.js';

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'gradient-trainer-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

/** The float64 bits of each number, so that equality is bitwise. */
const bits = (values: ArrayLike<number>) =>
  Array.from(new BigUint64Array(Float64Array.from(values).buffer), (b) => b.toString(16));

const OPTIONS = { optimizer: 'adam', lr: 0.01 } as const;

/** Starts `count` in-process workers on their own connections; `stop()` ends them. */
async function startWorkers(session: string, count: number) {
  const controller = new AbortController();
  const contexts = await Promise.all(
    Array.from({ length: count }, (_, i) => openNats({ url: server.url, name: `worker-${i}` })),
  );
  const runs = contexts.map((context) =>
    runWorker(context, { session, signal: controller.signal }),
  );
  return {
    async stop(): Promise<WorkerResult[]> {
      controller.abort();
      const results = await Promise.all(runs);
      await Promise.all(contexts.map((context) => context.close()));
      return results;
    },
  };
}

describe('the gradient trainer with workers', () => {
  it('trains from two workers and replays bitwise from the gradient stream', async () => {
    const session = 'dp';
    const messages = 40;
    await produce(nats, { session, spec: linearSpec({ seed: 5 }), samples: messages * 256 });
    const workers = await startWorkers(session, 2);
    const trained = await runGradientTrainer(nats, {
      session,
      ...OPTIONS,
      maxStaleness: 1,
      until: messages * 256,
      checkpointSamples: 2048,
    });
    const [first, second] = await workers.stop();
    // Every sample message became exactly one gradient, whichever worker took it.
    expect(first!.gradients + second!.gradients - first!.duplicates - second!.duplicates).toBe(
      messages,
    );
    const replay = await replayGradients(nats, session, { ...OPTIONS, maxStaleness: 1 });
    expect([...replay.sampleSequences].sort((a, b) => a - b)).toEqual(
      Array.from({ length: messages }, (_, i) => i + 1),
    );
    expect(replay.applied).toBeGreaterThan(messages / 2);
    const names = sessionNames(session);
    const stored = (await readGradientCheckpoint(nats, names))!.checkpoint;
    expect({
      params: bits(stored.params),
      optimizer: stored.optimizer,
      applied: stored.applied,
      stale: stored.stale,
      invalid: stored.invalid,
    }).toEqual({
      params: bits(replay.params),
      optimizer: replay.optimizer,
      applied: replay.applied,
      stale: replay.stale,
      invalid: replay.invalid,
    });
    expect(bits(trained.params)).toEqual(bits(replay.params));

    // A fresh trainer (the checkpoint purged) over the same stream, no workers: the same run.
    await nats.kv.purge(names.checkpointKey);
    const again = await runGradientTrainer(nats, {
      session,
      ...OPTIONS,
      maxStaleness: 1,
      until: messages * 256,
    });
    expect({ ...again, params: bits(again.params) }).toEqual({
      ...trained,
      params: bits(trained.params),
    });
    // It re-sent every parameter update byte for byte, so JetStream kept one of each.
    const updates = await nats.jsm.streams.info(names.updatesStream);
    expect(updates.state.messages).toBe(messages);
    const last = await nats.jsm.streams.getMessage(names.updatesStream, {
      seq: updates.state.last_seq,
    });
    expect(bits(decodeUpdate(last!.data).params)).toEqual(bits(replay.params));
  });
});

describe('workers that die', () => {
  it('leave their sample messages to the others, and a gradient stored twice counts once', async () => {
    const session = 'redeliver';
    const messages = 12;
    const names = sessionNames(session);
    await produce(nats, { session, spec: linearSpec({ seed: 9 }), samples: messages * 256 });
    await ensureGradientStream(nats, names);
    const samplesCreated = (await nats.jsm.streams.info(names.stream)).created;
    // Two workers die holding a message each: one before publishing its gradient, one
    // after (its gradient stored, the sample message never acknowledged).
    // The workers' shared consumer, with a short acknowledgement deadline (the workers
    // use the consumer they find).
    await nats.jsm.consumers.add(names.stream, {
      durable_name: names.workersConsumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(1000),
    });
    const consumer = await nats.js.consumers.get(names.stream, names.workersConsumer);
    const lost = await consumer.next();
    const published = await consumer.next();
    await nats.js.publish(
      names.gradientsSubject,
      encodeGradient({
        step: 0,
        sampleSequence: published!.seq,
        samples: 256,
        loss: 1,
        gradient: new Float64Array([1, 1]),
      }),
      { msgID: `${session}:${samplesCreated}:${published!.seq}` },
    );
    const workers = await startWorkers(session, 2);
    await runGradientTrainer(nats, {
      session,
      ...OPTIONS,
      maxStaleness: 4,
      until: messages * 256,
    });
    // The trainer may finish before the message whose gradient was already stored is
    // redelivered: stop the workers once every sample message is acknowledged.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const info = await nats.jsm.consumers.info(names.stream, names.workersConsumer);
      if (info.num_ack_pending === 0 && info.num_pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const results = await workers.stop();
    const replay = await replayGradients(nats, session, { ...OPTIONS, maxStaleness: 4 });
    expect([...replay.sampleSequences].sort((a, b) => a - b)).toEqual(
      Array.from({ length: messages }, (_, i) => i + 1),
    );
    expect([lost!.seq, published!.seq]).toEqual([1, 2]);
    expect(results.reduce((sum, result) => sum + result.duplicates, 0)).toBe(1);
  });
});

describe('gradient staleness', () => {
  // Version tags in stream order. The trainer's version is the steps applied so far:
  //   tag 0 at 0 (staleness 0), tag 0 at 1 (1), tag 0 at 2 (2), tag 1 at 2|3 (1|2),
  //   tag 0 at 3|4 (3|4), tag 9 (from a version not reached: invalid).
  const tags = [0, 0, 0, 1, 0, 9];
  const gradient = (i: number) => new Float64Array([0.5 - i, 0.25 * i + 1]);

  async function trainWithBound(session: string, maxStaleness: number) {
    await produce(nats, { session, spec: linearSpec({ seed: 1 }), samples: 256 });
    const names = sessionNames(session);
    await ensureGradientStream(nats, names);
    for (const [i, step] of tags.entries()) {
      await nats.js.publish(
        names.gradientsSubject,
        encodeGradient({
          step,
          sampleSequence: i + 1,
          samples: 256,
          loss: 1,
          gradient: gradient(i),
        }),
      );
    }
    const trained = await runNode(ADAMFLOW, [
      ...['trainer', '--gradients', '--nats', server.url, '--session', session],
      ...['--max-staleness', String(maxStaleness), '--until', String(256 * tags.length)],
    ]);
    const inspected = await runNode(ADAMFLOW, [
      ...['inspect', '--json', '--nats', server.url, '--session', session],
    ]);
    expect([trained.code, inspected.code]).toEqual([0, 0]);
    return JSON.parse(inspected.stdout) as {
      samples: number;
      step: number;
      params: number[];
      gradients: Record<string, number>;
    };
  }

  /** Adam stepped by hand with the gradients of the given indices. */
  function expected(indices: number[]) {
    const params = new Float64Array(2);
    const adam = createOptimizer('adam', params, { ...optimizers.adam.demoOptions, lr: 0.01 });
    for (const i of indices) adam.step(gradient(i));
    return bits(params);
  }

  it('rejects and counts gradients beyond the bound (inspect --json shows them)', async () => {
    const result = await trainWithBound('stale1', 1);
    expect({ ...result, params: bits(result.params) }).toEqual({
      samples: 3 * 256,
      step: 3,
      params: expected([0, 1, 3]),
      gradients: {
        applied: 3,
        stale: 2,
        invalid: 1,
        consumedSamples: 6 * 256,
        maxStaleness: 1,
        sequence: 6,
        model: { kind: 'linear-regression', features: 1 },
      },
    });
  });

  it('applies gradients within the bound, up to and including it', async () => {
    const result = await trainWithBound('stale2', 2);
    expect({ ...result, params: bits(result.params) }).toEqual({
      samples: 4 * 256,
      step: 4,
      params: expected([0, 1, 2, 3]),
      gradients: {
        applied: 4,
        stale: 1,
        invalid: 1,
        consumedSamples: 6 * 256,
        maxStaleness: 2,
        sequence: 6,
        model: { kind: 'linear-regression', features: 1 },
      },
    });
  });

  it('refuses to resume a session trained from samples, and the other way round', async () => {
    await produce(nats, { session: 'modes', spec: linearSpec({ seed: 2 }), samples: 512 });
    const sampled = await runNode(ADAMFLOW, [
      ...['trainer', '--nats', server.url, '--session', 'modes', '--until', '512'],
    ]);
    const graded = await runNode(ADAMFLOW, [
      ...['trainer', '--gradients', '--nats', server.url, '--session', 'modes', '--until', '0'],
    ]);
    const resampled = await runNode(ADAMFLOW, [
      ...['trainer', '--nats', server.url, '--session', 'stale1', '--until', '256'],
    ]);
    expect([sampled.code, graded.code, resampled.code]).toEqual([0, 1, 1]);
    expect(graded.stderr).toMatch(/trained from samples.*ADAMFLOW_ERR_CONFIG_MISMATCH/);
    expect(resampled.stderr).toMatch(/trained from gradients.*ADAMFLOW_ERR_CONFIG_MISMATCH/);
  });
});
