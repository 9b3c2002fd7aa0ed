import { linearSpec, mlp } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGradientCheckpoint } from './gradient-checkpoint.js';
import { checkMessageFits } from './gradient-model.js';
import { runGradientTrainer } from './gradient-trainer.js';
import { type NatsContext, openNats } from './nats-context.js';
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
