import { Random } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGradientCheckpoint } from './gradient-checkpoint.js';
import { type NatsContext, openNats } from './nats-context.js';
import { decodeUpdate } from './params-updates.js';
import { sessionNames } from './session-names.js';
import { replayGradients } from './testing/replay-gradients.js';
import { ADAMFLOW, runNode, startTrainer } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';
import { startWorker } from './testing/start-worker.js';

let server: NatsServerHandle;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.dispose();
});

const MESSAGES = 200;
const SAMPLES = MESSAGES * 256;
const WORKERS = 4;
const KILLS = 4;
const STALENESS = 2;
/** After this many kills the broker itself is restarted under the running trainer and workers. */
const BROKER_RESTART_AFTER = 2;

/** The float64 bits of each number, so that equality is bitwise. */
const bits = (values: number[]) =>
  Array.from(new BigUint64Array(Float64Array.from(values).buffer), (b) => b.toString(16));

describe('a gradient trainer killed at random moments', () => {
  it('ends bitwise equal to a replay of the gradient stream (4 workers, 4 SIGKILLs, a broker restart)', async () => {
    const session = 'gcrash';
    const produced = await runNode(ADAMFLOW, [
      ...['produce', '--nats', server.url, '--session', session],
      ...['--source', 'seed', '--seed', '8', '--samples', String(SAMPLES)],
    ]);
    expect(produced.code).toBe(0);
    const workers = Array.from({ length: WORKERS }, () =>
      startWorker(['--nats', server.url, '--session', session]),
    );
    // Seeded moments: a random 0-30 ms after a checkpoint past a random position.
    const random = new Random(7);
    const targets = Array.from({ length: KILLS }, () =>
      Math.floor((0.1 + 0.7 * random.uniform()) * SAMPLES),
    ).sort((a, b) => a - b);
    const outcomes: string[] = [];
    let kills = 0;
    let brokerRestarted = false;
    for (let run = 0; run < 2 * KILLS + 5; run++) {
      const trainer = startTrainer([
        ...['--gradients', '--nats', server.url, '--session', session],
        ...['--until', String(SAMPLES), '--max-staleness', String(STALENESS)],
        ...['--checkpoint-samples', '2048', '--checkpoint-ms', '100', '--lease-ms', '1000'],
      ]);
      if (kills < KILLS) {
        const target = targets[kills]!;
        const reached = await trainer
          .waitFor(
            (event) =>
              event['event'] === 'checkpoint' && Number(event['consumedSamples']) >= target,
          )
          .then(
            () => true,
            () => false,
          );
        if (reached) {
          await new Promise((resolve) => setTimeout(resolve, random.uniform() * 30));
          if (kills === BROKER_RESTART_AFTER && !brokerRestarted) {
            // Same port, same store: the workers reconnect and carry on; the trainer
            // stops with a code and the next run resumes from its checkpoint.
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
    // The workers rode through the broker restart: every one still running.
    const running = workers.map((worker) => worker.child.exitCode === null);
    for (const worker of workers) worker.child.kill('SIGTERM');
    const stopped = await Promise.all(workers.map((worker) => worker.exited));
    expect(outcomes).toEqual([
      ...Array(BROKER_RESTART_AFTER).fill('SIGKILL'),
      expect.stringMatching(/^exit 1: .*ADAMFLOW_ERR_NATS_DISCONNECTED/),
      ...Array(KILLS - BROKER_RESTART_AFTER).fill('SIGKILL'),
      'done',
    ]);
    expect(running).toEqual(Array(WORKERS).fill(true));
    expect(stopped.map((end) => [end.code, end.signal])).toEqual(Array(WORKERS).fill([0, null]));

    const nats: NatsContext = await openNats({ url: server.url, name: 'gradient-crash-test' });
    try {
      const names = sessionNames(session);
      const stored = (await readGradientCheckpoint(nats, names))!.checkpoint;
      const replay = await replayGradients(nats, session, {
        optimizer: 'adam',
        lr: 0.01,
        maxStaleness: STALENESS,
      });
      // One gradient per sample message, whichever worker took it and however often
      // the trainer (and so the workers' pace) stopped.
      expect([...replay.sampleSequences].sort((a, b) => a - b)).toEqual(
        Array.from({ length: MESSAGES }, (_, i) => i + 1),
      );
      expect(stored.consumedSamples).toBe(SAMPLES);
      expect({
        params: bits(stored.params),
        optimizer: stored.optimizer,
        counts: [stored.applied, stored.stale, stored.invalid],
      }).toEqual({
        params: bits(replay.params),
        optimizer: replay.optimizer,
        counts: [replay.applied, replay.stale, replay.invalid],
      });
      // Every update once, in order: what restarted trainers re-sent was dropped by id.
      const { state } = await nats.jsm.streams.info(names.updatesStream);
      const seqs: number[] = [];
      for (let seq = 1; seq <= state.last_seq; seq++) {
        const message = await nats.jsm.streams.getMessage(names.updatesStream, { seq });
        seqs.push(decodeUpdate(message!.data).seq);
      }
      expect(seqs).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    } finally {
      await nats.close();
    }
  }, 600_000);
});
