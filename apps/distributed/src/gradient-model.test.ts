import { MAX_PARAM_COUNT, parseServerMessage } from '@adamflow/protocol';
import { linearSpec, mlp } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from './gateway.js';
import { readGradientCheckpoint } from './gradient-checkpoint.js';
import { checkMessageFits } from './gradient-model.js';
import { runGradientTrainer } from './gradient-trainer.js';
import { type NatsContext, openNats } from './nats-context.js';
import { MAX_VIEWER_PARAMS } from './params-updates.js';
import { produce } from './produce.js';
import { sessionNames } from './session-names.js';
import { replayGradients } from './testing/replay-gradients.js';
import { ADAMFLOW, runNode } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';
import { openViewer } from './testing/viewer.js';
import { runWorker, type WorkerResult } from './worker.js';

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'gradient-model-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

/** The float64 bits of each number, so that equality is bitwise. */
const bits = (values: ArrayLike<number>) =>
  Array.from(new BigUint64Array(Float64Array.from(values).buffer), (b) => b.toString(16));

const MLP = { kind: 'mlp', hidden: [300, 300], activation: 'tanh', seed: 3 } as const;
const OPTIONS = { optimizer: 'adam', lr: 0.001, maxStaleness: 2 } as const;

describe('a gradient session with an MLP of about 1e5 parameters', () => {
  it('trains from two workers and replays bitwise from the gradient stream', async () => {
    const session = 'mlp';
    const messages = 12;
    await produce(nats, { session, spec: linearSpec({ seed: 4 }), samples: messages * 256 });
    const controller = new AbortController();
    const contexts = await Promise.all(
      [0, 1].map((i) => openNats({ url: server.url, name: `mlp-worker-${i}` })),
    );
    const runs = contexts.map((context) =>
      runWorker(context, {
        session,
        model: { ...MLP, hidden: [...MLP.hidden] },
        signal: controller.signal,
      }),
    );
    const trained = await runGradientTrainer(nats, {
      session,
      ...OPTIONS,
      model: { ...MLP, hidden: [...MLP.hidden] },
      until: messages * 256,
      checkpointSamples: 1024,
    });
    controller.abort();
    const results: WorkerResult[] = await Promise.all(runs);
    await Promise.all(contexts.map((context) => context.close()));

    // The replay builds its MLP from the package's own constructor, not from the session.
    const model = mlp({ inputs: 1, hidden: [300, 300], activation: 'tanh', seed: 3 });
    expect(model.size).toBe(300 * 2 + 300 * 301 + 301);
    const replay = await replayGradients(nats, session, { ...OPTIONS, model: model.spec! });
    expect([...replay.sampleSequences].sort((a, b) => a - b)).toEqual(
      Array.from({ length: messages }, (_, i) => i + 1),
    );
    expect(results.map((result) => result.gradients > 0)).toEqual([true, true]);
    const stored = (await readGradientCheckpoint(nats, sessionNames(session)))!.checkpoint;
    expect(stored.config.model).toEqual(model.spec);
    expect(stored.params.length).toBe(model.size);
    expect({
      params: bits(stored.params),
      trained: bits(trained.params),
      optimizer: stored.optimizer,
      counts: [stored.applied, stored.stale, stored.invalid],
    }).toEqual({
      params: bits(replay.params),
      trained: bits(replay.params),
      optimizer: replay.optimizer,
      counts: [replay.applied, replay.stale, replay.invalid],
    });
    // Something was learned: the replay is not of an empty or all-rejected stream.
    expect(replay.applied).toBeGreaterThan(messages / 2);
  }, 300_000);
});

describe('viewers of a gradient session with an MLP of about 1e5 parameters', () => {
  it('get its step, samples, loss and first parameters with the count through a gateway', async () => {
    const session = 'mlp-view';
    const messages = 3;
    await produce(nats, { session, spec: linearSpec({ seed: 5 }), samples: messages * 256 });
    const gateway = await startGateway({ nats, port: 0 });
    const early = await openViewer(`${gateway.wsUrl}?session=${session}`);
    try {
      await early.until((frame) => frame.type === 'snapshot');
      const controller = new AbortController();
      const context = await openNats({ url: server.url, name: 'mlp-view-worker' });
      const run = runWorker(context, {
        session,
        model: { ...MLP, hidden: [...MLP.hidden] },
        signal: controller.signal,
      });
      const trained = await runGradientTrainer(nats, {
        session,
        ...OPTIONS,
        model: { ...MLP, hidden: [...MLP.hidden] },
        until: messages * 256,
      });
      controller.abort();
      await run;
      await context.close();
      const names = sessionNames(session);
      const last = (await nats.jsm.streams.info(names.updatesStream)).state.last_seq;
      await early.until((frame) => frame.seq === last);
      const late = await openViewer(`${gateway.wsUrl}?session=${session}`);
      await late.until((frame) => frame.type === 'snapshot');
      // A message claiming fewer parameters than it sends is skipped, not relayed; the
      // (small) one after it shows the gateway has read past it.
      const skipped = gateway.stats().skippedMessages;
      const { params: _, ...claim } = early.frames.at(-1)!;
      const message = (params: number[], count: object) =>
        JSON.stringify({
          ...{ format: 'adamflow.params-update', version: 1, session, epoch: 'x', seq: 1 },
          ...{ samples: 1, step: 1, lossEma: 1, params, ...count },
        });
      await nats.js.publish(names.updatesSubject, message([1, 2, 3], { paramCount: 2 }));
      await nats.js.publish(names.updatesSubject, message([1, 2], {}));
      await early.until((frame) => frame.seq === last + 2);
      await late.close();

      const updates = early.frames.filter(
        (frame) => frame.type === 'params-update' && frame.seq! <= last,
      );
      const first = trained.params.slice(0, MAX_VIEWER_PARAMS);
      const snapshot = late.frames[0]!;
      expect(claim).toMatchObject({ type: 'params-update', paramCount: 91_201 });
      expect({
        updates: updates.length > 0,
        sizes: [...new Set(updates.map((frame) => (frame['params'] as number[]).length))],
        counts: [...new Set(updates.map((frame) => frame['paramCount']))],
        parsed: updates.every((frame) => parseServerMessage(frame) !== undefined),
        last: updates.at(-1)!['params'],
        snapshot: {
          type: snapshot.type,
          params: snapshot['params'],
          paramCount: snapshot['paramCount'],
          step: snapshot['step'],
          samples: snapshot['samples'],
          parsed: parseServerMessage(snapshot) !== undefined,
        },
        skipped: gateway.stats().skippedMessages - skipped,
        relayed: early.frames.filter((frame) => frame.seq === last + 1).length,
        after: early.frames.at(-1)!['paramCount'],
      }).toEqual({
        updates: true,
        sizes: [MAX_VIEWER_PARAMS],
        counts: [91_201],
        parsed: true,
        last: first,
        snapshot: {
          type: 'snapshot',
          params: first,
          paramCount: 91_201,
          step: trained.step,
          samples: trained.samples,
          parsed: true,
        },
        skipped: 1,
        relayed: 0,
        after: undefined,
      });
      // The protocol refuses a frame whose count is below what it sends, or past its bound.
      const frame = updates.at(-1)!;
      expect([
        parseServerMessage({ ...frame, paramCount: MAX_VIEWER_PARAMS - 1 }),
        parseServerMessage({ ...frame, paramCount: MAX_PARAM_COUNT + 1 }),
      ]).toEqual([undefined, undefined]);
    } finally {
      early.ws.terminate();
      await gateway.close();
    }
  }, 300_000);
});

describe('the session model', () => {
  it('refuses a worker or trainer with another model, with a code', async () => {
    const session = 'mismatch';
    await produce(nats, { session, spec: linearSpec({ seed: 6 }), samples: 256 });
    const at = ['--nats', server.url, '--session', session];
    const first = await runNode(ADAMFLOW, [
      ...['trainer', '--gradients', ...at, '--until', '0'],
      ...['--model', 'mlp', '--hidden', '8'],
    ]);
    const worker = await runNode(ADAMFLOW, ['worker', ...at]);
    const trainer = await runNode(ADAMFLOW, [
      ...['trainer', '--gradients', ...at, '--until', '0'],
      ...['--model', 'mlp', '--hidden', '8', '--activation', 'relu'],
    ]);
    const again = await runNode(ADAMFLOW, [
      ...['trainer', '--gradients', ...at, '--until', '0'],
      ...['--model', 'mlp', '--hidden', '8'],
    ]);
    expect([first.code, worker.code, trainer.code, again.code]).toEqual([0, 1, 1, 0]);
    expect(worker.stderr).toMatch(
      /trains the model mlp \(hidden 8, tanh, seed 0\), not linear-regression.*ADAMFLOW_ERR_MODEL_MISMATCH/,
    );
    expect(trainer.stderr).toMatch(
      /not mlp \(hidden 8, relu, seed 0\).*ADAMFLOW_ERR_MODEL_MISMATCH/,
    );
  }, 120_000);

  it('refuses a model whose gradients exceed the server max_payload, recording nothing', async () => {
    const session = 'huge';
    await produce(nats, { session, spec: linearSpec({ seed: 6 }), samples: 256 });
    const at = ['--nats', server.url, '--session', session];
    // 1000 × 2 + 1000 × 1001 + 1001 parameters: 8 MB per gradient, past the default 1 MB.
    const huge = await runNode(ADAMFLOW, [
      ...['trainer', '--gradients', ...at, '--until', '0'],
      ...['--model', 'mlp', '--hidden', '1000,1000'],
    ]);
    const small = await runNode(ADAMFLOW, ['trainer', '--gradients', ...at, '--until', '0']);
    expect([huge.code, small.code]).toEqual([1, 0]);
    expect(huge.stderr).toMatch(/1004001 parameters.*max_payload.*ADAMFLOW_ERR_MODEL_TOO_LARGE/);
    const limit = nats.nc.info!.max_payload;
    const fits = (size: number) => {
      try {
        checkMessageFits(nats, size);
        return true;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect([fits(91_201), fits(Math.floor(limit / 8))]).toEqual([
      true,
      'ADAMFLOW_ERR_MODEL_TOO_LARGE',
    ]);
  }, 120_000);
});
