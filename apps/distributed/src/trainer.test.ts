import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from './checkpoint.js';
import { type NatsContext, openNats } from './nats-context.js';
import { decodeUpdate } from './params-updates.js';
import { sessionNames } from './session-names.js';
import { referenceRun, referenceUpdates } from './testing/reference.js';
import { ADAMFLOW, runNode, TRAIN } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'trainer-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

const adamflow = (command: string, session: string, ...flags: string[]) =>
  runNode(ADAMFLOW, [command, '--nats', server.url, '--session', session, ...flags]);

/** The float64 bits of each number, so that equality is bitwise. */
const bits = (values: number[]) =>
  Array.from(new BigUint64Array(Float64Array.from(values).buffer), (b) => b.toString(16));

describe('adamflow trainer', () => {
  it('ends bitwise where `pnpm train --samples N --seed S --json` ends', async () => {
    const [produced, local] = await Promise.all([
      adamflow('produce', 'pair', '--source', 'seed', '--seed', '11', '--samples', '20000'),
      runNode(TRAIN, ['--samples', '20000', '--seed', '11', '--json']),
    ]);
    expect([produced.code, local.code]).toEqual([0, 0]);
    const trained = await adamflow('trainer', 'pair', '--until', '20000');
    const inspected = await adamflow('inspect', 'pair', '--json');
    expect([trained.code, inspected.code, trained.stderr]).toEqual([0, 0, expect.any(String)]);
    // One line, exactly the contract's shape.
    expect(inspected.stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(inspected.stdout) as {
      samples: number;
      step: number;
      params: number[];
    };
    const expected = JSON.parse(local.stdout) as {
      samples: number;
      steps: number;
      params: number[];
    };
    expect(Object.keys(result)).toEqual(['samples', 'step', 'params']);
    expect({ ...result, params: bits(result.params) }).toEqual({
      samples: expected.samples,
      step: expected.steps,
      params: bits(expected.params),
    });
  });

  it('matches pnpm train with other options too (adamw, lr, batch 8)', async () => {
    const flags = ['--optimizer', 'adamw', '--lr', '0.005', '--batch', '8'];
    const [, local] = await Promise.all([
      adamflow('produce', 'options', '--seed', '3', '--samples', '5000'),
      runNode(TRAIN, ['--samples', '5000', '--seed', '3', '--json', ...flags]),
    ]);
    await adamflow('trainer', 'options', '--until', '5000', ...flags);
    const stored = await readCheckpoint(nats, sessionNames('options'));
    expect(bits(stored!.checkpoint.learner.params)).toEqual(bits(JSON.parse(local.stdout).params));
  });

  it('stops inside a message with --until and continues from there exactly', async () => {
    await adamflow('produce', 'until', '--seed', '4', '--samples', '3000');
    const first = await adamflow('trainer', 'until', '--until', '1000');
    const middle = await readCheckpoint(nats, sessionNames('until'));
    const second = await adamflow('trainer', 'until', '--until', '3000');
    const end = await readCheckpoint(nats, sessionNames('until'));
    expect([first.code, second.code]).toEqual([0, 0]);
    // 1000 = 3 whole messages of 256 and 232 samples of the fourth.
    expect(middle!.checkpoint).toMatchObject({ samples: 1000, sequence: 3, offset: 232 });
    expect(end!.checkpoint).toMatchObject({ samples: 3000, offset: 0, epoch: 2 });
    // The whole learner state, optimizer moments and metrics included.
    expect(end!.checkpoint.learner).toEqual(referenceRun({ seed: 4, samples: 3000 }));
  });

  it('trains large messages (--batch-samples 5000) exactly, stopped and resumed inside one', async () => {
    const produced = await adamflow(
      'produce',
      'large',
      ...['--seed', '6', '--samples', '23000', '--batch-samples', '5000'],
    );
    const flags = ['--update-every', '1', '--checkpoint-samples', '3000'];
    const first = await adamflow('trainer', 'large', '--until', '12345', ...flags);
    const middle = await readCheckpoint(nats, sessionNames('large'));
    const second = await adamflow('trainer', 'large', '--until', '23000', ...flags);
    const end = await readCheckpoint(nats, sessionNames('large'));
    expect([produced.code, first.code, second.code]).toEqual([0, 0, 0]);
    expect(middle!.checkpoint).toMatchObject({ samples: 12345, sequence: 2, offset: 2345 });
    expect(end!.checkpoint).toMatchObject({ samples: 23000, sequence: 5, offset: 0 });
    expect(end!.checkpoint.learner).toEqual(referenceRun({ seed: 6, samples: 23000 }));
    // One update per message, each once and as an uninterrupted run publishes it.
    const names = sessionNames('large');
    const { last_seq: last } = (await nats.jsm.streams.info(names.updatesStream)).state;
    const updates = [];
    for (let seq = 1; seq <= last; seq++) {
      const message = await nats.jsm.streams.getMessage(names.updatesStream, { seq });
      const { seq: at, samples, step, lossEma, params } = decodeUpdate(message!.data);
      updates.push({ seq: at, samples, step, lossEma, params });
    }
    expect(updates).toEqual(referenceUpdates(6, 23000, 1, 5000));
  });

  it('reads in a worker thread (--reader thread) exactly: stopped inside a message, resumed', async () => {
    await adamflow(
      'produce',
      'thread',
      '--seed',
      '8',
      '--samples',
      '30000',
      '--batch-samples',
      '1000',
    );
    const flags = ['--reader', 'thread', '--checkpoint-samples', '2000'];
    const first = await adamflow('trainer', 'thread', '--until', '12345', ...flags);
    const middle = await readCheckpoint(nats, sessionNames('thread'));
    const second = await adamflow('trainer', 'thread', '--until', '30000', ...flags);
    const end = await readCheckpoint(nats, sessionNames('thread'));
    expect([first.code, second.code, second.stderr]).toEqual([0, 0, expect.any(String)]);
    expect(middle!.checkpoint).toMatchObject({ samples: 12345, sequence: 12, offset: 345 });
    expect(end!.checkpoint).toMatchObject({ samples: 30000, sequence: 30, offset: 0 });
    expect(end!.checkpoint.learner).toEqual(referenceRun({ seed: 8, samples: 30000 }));
  });

  it('refuses to resume a checkpoint made with another configuration', async () => {
    await adamflow('produce', 'config', '--seed', '5', '--samples', '600');
    await adamflow('trainer', 'config', '--until', '300');
    const other = await adamflow('trainer', 'config', '--until', '600', '--lr', '0.02');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('ADAMFLOW_ERR_CONFIG_MISMATCH');
    expect(other.stderr).toContain('lr 0.01');
    expect((await readCheckpoint(nats, sessionNames('config')))!.checkpoint.samples).toBe(300);
  });

  it('says what to do when a session has no samples or no checkpoint yet', async () => {
    const trainer = await adamflow('trainer', 'nothing', '--until', '10');
    const inspect = await adamflow('inspect', 'nothing', '--json');
    expect([trainer.code, inspect.code]).toEqual([1, 1]);
    expect(trainer.stderr).toContain('ADAMFLOW_ERR_SESSION_UNKNOWN');
    expect(inspect.stderr).toContain('ADAMFLOW_ERR_CHECKPOINT_MISSING');
  });
});
