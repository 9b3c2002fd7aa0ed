import type { Command } from '@adamflow/protocol';
import { Random } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from './checkpoint.js';
import { CommandLog, type CommandLogEntry } from './command-log.js';
import { type NatsContext, openNats } from './nats-context.js';
import { sessionNames } from './session-names.js';
import { type ReferenceCommand, referenceRun } from './testing/reference.js';
import { ADAMFLOW, runNode, startTrainer, type TrainerProcess } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';
import { sendCommand } from './trainer-commands.js';

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'command-log-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

const SEED = 8;
const CHUNK = 20_000;
/** Each round: samples produced up to the round's end, then a command once the trainer is there. */
const ROUNDS: ReadonlyArray<{ command: Command; kill: 'after-ack' | 'while-training' | null }> = [
  { command: { type: 'set-lr', lr: 0.05 }, kill: 'after-ack' },
  { command: { type: 'set-optimizer', optimizer: 'sgd' }, kill: 'while-training' },
  { command: { type: 'set-lr', lr: 0.002 }, kill: 'after-ack' },
  { command: { type: 'reset' }, kill: null },
  { command: { type: 'set-optimizer', optimizer: 'adamw', lr: 0.02 }, kill: 'after-ack' },
];
const SAMPLES = CHUNK * (ROUNDS.length + 1);

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The session's command log, entry by entry. */
async function commandLog(session: string): Promise<CommandLogEntry[]> {
  const names = sessionNames(session);
  const { last_seq: last } = (await nats.jsm.streams.info(names.commandLogStream)).state;
  const entries: CommandLogEntry[] = [];
  for (let seq = 1; seq <= last; seq++) {
    const message = await nats.jsm.streams.getMessage(names.commandLogStream, { seq });
    entries.push(JSON.parse(decoder.decode(message!.data)) as CommandLogEntry);
  }
  return entries;
}

/**
 * Asks until a trainer answers: a restarted trainer that resumed at the very position the
 * test waits for reports that checkpoint (its claim) before it subscribes to commands.
 * Bounded (30 s); only "nobody is subscribed" is asked again.
 */
async function answered<T>(ask: () => Promise<T | 'no trainer'>): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const reply = await ask();
    if (reply !== 'no trainer') return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no trainer answered commands within 30 s');
}

/** Sends a raw request to the session's trainer, as a gateway would forward it. */
function request(session: string, body: unknown): Promise<{ ok: boolean; message?: string }> {
  return answered(async () => {
    try {
      const reply = await nats.nc.request(
        sessionNames(session).commandsSubject,
        encoder.encode(JSON.stringify(body)),
        { timeout: 10_000 },
      );
      return JSON.parse(decoder.decode(reply.data)) as { ok: boolean; message?: string };
    } catch (error) {
      if (String((error as Error)?.message).includes('no responders')) return 'no trainer';
      throw error;
    }
  });
}

/** `sendCommand` as the gateway calls it, asked again while no trainer is subscribed. */
function sendAnswered(session: string, body: Command): Promise<{ ok: boolean; message?: string }> {
  return answered(async () => {
    const reply = await sendCommand(nats.nc, sessionNames(session), body, 10_000);
    return !reply.ok && /no trainer is running/.test(reply.message ?? '') ? 'no trainer' : reply;
  });
}

describe('CommandLog', () => {
  it('fences: once a second trainer claimed the log, the first can record nothing', async () => {
    const names = sessionNames('fenced');
    const at = { streamCreated: 'history-1', after: 0, samples: 0 };
    const first = await CommandLog.open(nats, names, { ...at, epoch: 1 });
    expect(await first.record({ type: 'set-lr', lr: 0.02 }, 512)).toBe(2);
    const second = await CommandLog.open(nats, names, { ...at, epoch: 2 });
    // The second read what the first recorded and waits to apply it at its position.
    expect([second.replaying, second.nextAt]).toEqual([true, 512]);
    await expect(first.record({ type: 'reset' }, 1024)).rejects.toMatchObject({
      code: 'ADAMFLOW_ERR_LEASE_LOST',
    });
    expect(await second.record({ type: 'set-lr', lr: 0.03 }, 1024)).toBe(4);
    const entries = await commandLog('fenced');
    expect(entries.map((entry) => [entry.epoch, entry.command?.type ?? 'claim'])).toEqual([
      [1, 'claim'],
      [1, 'set-lr'],
      [2, 'claim'],
      [2, 'set-lr'],
    ]);
    // A log of another input history is refused, not replayed.
    await expect(
      CommandLog.open(nats, names, { ...at, streamCreated: 'history-2', epoch: 3 }),
    ).rejects.toMatchObject({ code: 'ADAMFLOW_ERR_STREAM_CORRUPT' });
  });
});

describe('viewers commands in the distributed mode', () => {
  it('survive SIGKILLs: the run ends bitwise equal to one that applied them at the same positions', async () => {
    const session = 'commands';
    const trainerFlags = [
      ...['--nats', server.url, '--session', session, '--until', String(SAMPLES)],
      ...['--checkpoint-samples', '4096', '--checkpoint-ms', '200', '--lease-ms', '1000'],
    ];
    const produce = (samples: number) =>
      runNode(ADAMFLOW, [
        'produce',
        ...['--nats', server.url, '--session', session, '--source', 'seed'],
        ...['--seed', String(SEED), '--samples', String(samples)],
      ]);
    const at = (trainer: TrainerProcess, samples: number) =>
      trainer.waitFor((event) => event['event'] === 'checkpoint' && event['samples'] === samples);
    const random = new Random(77);
    const replies: Array<{ ok: boolean; message?: string }> = [];
    const refusals: Array<{ ok: boolean; message?: string }> = [];
    const ends: string[] = [];
    const restart = async (old: TrainerProcess) => {
      const end = await old.exited;
      ends.push(end.signal ?? String(end.code));
      return startTrainer(trainerFlags);
    };
    expect((await produce(CHUNK)).code).toBe(0);
    let trainer = startTrainer(trainerFlags);
    for (let round = 0; round < ROUNDS.length; round++) {
      const { command, kill } = ROUNDS[round]!;
      const position = CHUNK * (round + 1);
      await at(trainer, position);
      if (round === 2) {
        // Refused ones first: invalid (the protocol's own bounds) and not available here.
        refusals.push(await request(session, { type: 'set-lr', lr: -1 }));
        refusals.push(await request(session, { type: 'set-source', source: 'drift' }));
        refusals.push(await request(session, { type: 'set-optimizer', optimizer: 'nope' }));
      }
      replies.push(await sendAnswered(session, command));
      if (kill === 'after-ack') {
        // Most likely before any checkpoint holds the command: the restart replays it.
        trainer.child.kill('SIGKILL');
        trainer = await restart(trainer);
      }
      expect((await produce(position + CHUNK)).code).toBe(0);
      if (kill === 'while-training') {
        await new Promise((resolve) => setTimeout(resolve, random.uniform() * 30));
        trainer.child.kill('SIGKILL');
        trainer = await restart(trainer);
      }
    }
    const end = await trainer.exited;
    ends.push(end.signal ?? String(end.code));
    expect(replies).toEqual(ROUNDS.map(() => ({ ok: true })));
    expect(refusals.map((reply) => reply.ok)).toEqual([false, false, false]);
    expect(refusals[1]!.message).toContain('distributed mode');
    expect(ends).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGKILL', '0']);

    // The log holds each acknowledged command once, at the position it was sent at,
    // complete (the set-optimizer without lr names the lr then in use), and nothing
    // of the refused ones.
    const recorded = (await commandLog(session)).filter((entry) => entry.command !== null);
    const expected: Array<{ samples: number; command: ReferenceCommand }> = [
      { samples: CHUNK, command: { type: 'set-lr', lr: 0.05 } },
      { samples: 2 * CHUNK, command: { type: 'set-optimizer', optimizer: 'sgd', lr: 0.05 } },
      { samples: 3 * CHUNK, command: { type: 'set-lr', lr: 0.002 } },
      { samples: 4 * CHUNK, command: { type: 'reset' } },
      { samples: 5 * CHUNK, command: { type: 'set-optimizer', optimizer: 'adamw', lr: 0.02 } },
    ];
    expect(recorded.map(({ samples, command }) => ({ samples, command }))).toEqual(expected);
    const stored = await readCheckpoint(nats, sessionNames(session));
    expect(stored!.checkpoint.samples).toBe(SAMPLES);
    // The complete state (params, optimizer and its moments, metrics), bit for bit.
    expect(stored!.checkpoint.learner).toEqual(
      referenceRun({ seed: SEED, samples: SAMPLES, commands: expected }),
    );
  }, 600_000);
});
