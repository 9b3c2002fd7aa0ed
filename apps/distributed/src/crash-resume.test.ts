import { Random } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from './checkpoint.js';
import { type NatsContext, openNats } from './nats-context.js';
import { decodeUpdate, type ParamsUpdateMessage } from './params-updates.js';
import { sessionNames } from './session-names.js';
import { referenceRun, referenceUpdates } from './testing/reference.js';
import { ADAMFLOW, runNode, startTrainer } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

let server: NatsServerHandle;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.dispose();
});

const SAMPLES = 300_000;
const SEED = 21;
const KILLS = 10;
/** After this many kills the broker itself is restarted under a running trainer. */
const BROKER_RESTART_AFTER = 5;

describe('a trainer killed at random moments', () => {
  it('ends bitwise equal to an uninterrupted run (10 SIGKILLs and one broker restart)', async () => {
    const produced = await runNode(ADAMFLOW, [
      'produce',
      ...['--nats', server.url, '--session', 'crash', '--source', 'seed'],
      ...['--seed', String(SEED), '--samples', String(SAMPLES)],
    ]);
    expect(produced.code).toBe(0);
    // Seeded moments: the kill comes a random 0-30 ms after the trainer reported a
    // checkpoint past a random position, so it lands while learning, while reading
    // the stream or in the middle of a checkpoint write.
    const random = new Random(2026);
    // Positions in the first half: the last kill still leaves the trainer 150 000
    // samples (hundreds of ms) to learn, so a test process slowed by a busy machine
    // still kills it before it is done.
    const targets = Array.from({ length: KILLS }, () =>
      Math.floor(random.uniform() * SAMPLES * 0.5),
    ).sort((a, b) => a - b);
    const outcomes: string[] = [];
    let kills = 0;
    let brokerRestarted = false;
    for (let run = 0; run < 2 * KILLS + 5; run++) {
      const trainer = startTrainer([
        ...['--nats', server.url, '--session', 'crash', '--until', String(SAMPLES)],
        ...['--checkpoint-samples', '4096', '--checkpoint-ms', '200', '--lease-ms', '1000'],
      ]);
      if (kills < KILLS) {
        const target = targets[kills]!;
        const reached = await trainer
          .waitFor((event) => event['event'] === 'checkpoint' && Number(event['samples']) >= target)
          .then(
            () => true,
            () => false,
          );
        if (reached) {
          await new Promise((resolve) => setTimeout(resolve, random.uniform() * 30));
          if (kills === BROKER_RESTART_AFTER && !brokerRestarted) {
            brokerRestarted = true;
            await server.restart();
          } else {
            trainer.child.kill('SIGKILL');
            kills++;
          }
        }
      }
      const end = await trainer.exited;
      outcomes.push(
        end.signal ??
          (end.code === 0 ? 'done' : `exit ${end.code}: ${end.stderr.trim().split('\n').at(-1)}`),
      );
      if (end.code === 0) break;
    }
    // Every run ended the way it was made to end; the broker restart cost one run.
    expect(outcomes).toEqual([
      ...Array(BROKER_RESTART_AFTER).fill('SIGKILL'),
      expect.stringMatching(/^exit 1: .*ADAMFLOW_ERR_NATS_DISCONNECTED/),
      ...Array(KILLS - BROKER_RESTART_AFTER).fill('SIGKILL'),
      'done',
    ]);
    const nats: NatsContext = await openNats({ url: server.url, name: 'crash-test' });
    try {
      const stored = await readCheckpoint(nats, sessionNames('crash'));
      expect(stored!.checkpoint.samples).toBe(SAMPLES);
      // The complete state (params, optimizer moments, metrics), not only the params.
      expect(stored!.checkpoint.learner).toEqual(referenceRun({ seed: SEED, samples: SAMPLES }));
      // Every parameter update exactly once, in order, each as an uninterrupted run
      // would publish it: what the restarted trainers re-sent was byte-identical and
      // JetStream dropped it by id.
      const names = sessionNames('crash');
      const updates: ParamsUpdateMessage[] = [];
      const { last_seq: last } = (await nats.jsm.streams.info(names.updatesStream)).state;
      for (let seq = 1; seq <= last; seq++) {
        const message = await nats.jsm.streams.getMessage(names.updatesStream, { seq });
        updates.push(decodeUpdate(message!.data));
      }
      expect(new Set(updates.map((update) => update.epoch)).size).toBe(1);
      expect(
        updates.map(({ seq, samples, step, lossEma, params }) => ({
          seq,
          samples,
          step,
          lossEma,
          params,
        })),
      ).toEqual(referenceUpdates(SEED, SAMPLES, 4));
    } finally {
      await nats.close();
    }
  }, 600_000);
});
