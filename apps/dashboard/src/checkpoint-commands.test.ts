// `checkpoint` (write the checkpoint file now) and `restore` (go back to it) on the wire:
// acknowledged, token-protected, within the command budget, refused with a reason when
// there is no file to write or nothing to go back to, and a file that does not fit
// leaves the run exactly as it was. Real servers, real files in temp dirs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardServerOptions } from './server.js';
import {
  command,
  isType,
  MESSAGE_TIMEOUT_MS,
  type Message,
  type Recorder,
  record,
  snapshot,
  stateChanged,
  updateBeyond,
} from './test-client.js';
import { withServer } from './test-server.js';
import type { DashboardCheckpoint } from './trainer-messages.js';

const dirs: string[] = [];
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'adamflow-commands-'));
  dirs.push(dir);
  return join(dir, 'run.json');
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A server for `body` whose checkpoint file only the commands (and close) write. */
const withRun = (options: DashboardServerOptions, body: Parameters<typeof withServer>[1]) =>
  withServer({ checkpointIntervalMs: 600_000, ...options }, body);

const readCheckpoint = async (file: string) =>
  JSON.parse(await readFile(file, 'utf8')) as DashboardCheckpoint;
const samplesOf = (c: DashboardCheckpoint) => c.session.samples + c.sampleOffset;
const exists = (file: string) =>
  readFile(file).then(
    () => true,
    () => false,
  );

/** Trains past `samples`, has `client` ask for a checkpoint, and returns what it wrote. */
async function checkpointPast(
  client: Recorder,
  samples: number,
  file: string,
): Promise<DashboardCheckpoint> {
  await client.next(updateBeyond(samples));
  await command(client, { type: 'checkpoint' }, 'c');
  return readCheckpoint(file);
}

/**
 * Has `actor` send restore; resolves with its answer, the state-changed it caused as
 * `watcher` received it, and where in `watcher`'s messages the restore began.
 */
async function restore(
  actor: Recorder,
  watcher = actor,
): Promise<{ answer: Message; restored: Message; mark: number }> {
  const mark = watcher.messages.length;
  const answer = await command(actor, { type: 'restore' }, 'r');
  const restored = await watcher.next(stateChanged('restore'), MESSAGE_TIMEOUT_MS, mark);
  return { answer, restored, mark };
}

const REJECTED = { type: 'error', code: 'ADAMFLOW_ERR_COMMAND_REJECTED' } as const;

describe('checkpoint and restore', () => {
  it('checkpoint writes the file before its ack; restore goes back to it exactly', async () => {
    const file = await tempFile();
    await withRun({ checkpointFile: file }, async (server) => {
      const actor = await record(server.wsUrl);
      const watcher = await record(server.wsUrl);
      await actor.next(updateBeyond(1000));
      expect(await exists(file)).toBe(false);
      expect(await command(actor, { type: 'checkpoint' }, 'c')).toEqual({
        type: 'command-ack',
        id: 'c',
        command: 'checkpoint',
      });
      const saved = await readCheckpoint(file);
      expect(server.stats().checkpointsWritten).toBe(1);
      expect(samplesOf(saved)).toBeGreaterThan(1000);

      // Move on, and change a setting the checkpoint holds.
      await actor.next(updateBeyond(samplesOf(saved) + 2000));
      await command(actor, { type: 'set-lr', lr: 0.002 }, 'l');
      const { answer, restored, mark } = await restore(actor, watcher);
      expect(answer).toMatchObject({ type: 'command-ack', command: 'restore' });
      expect({
        samples: restored['samples'],
        step: restored['step'],
        params: restored['params'],
        lr: (restored['config'] as Message)['lr'],
        diverged: restored['diverged'],
      }).toEqual({
        samples: samplesOf(saved),
        step: saved.session.learner.steps,
        params: saved.session.learner.params,
        lr: 0.01,
        diverged: null,
      });
      // and trains on from there
      await watcher.next(updateBeyond(samplesOf(saved)), MESSAGE_TIMEOUT_MS, mark);
      actor.ws.close();
      watcher.ws.close();
    });
  });

  it('restore brings a diverged run back to the last healthy checkpoint', async () => {
    const file = await tempFile();
    await withRun({ checkpointFile: file }, async (server) => {
      const client = await record(server.wsUrl);
      const saved = await checkpointPast(client, 500, file);
      await command(client, { type: 'set-optimizer', optimizer: 'sgd', lr: 1 }, 'o');
      await client.next(stateChanged('diverged'));
      const { answer, restored, mark } = await restore(client);
      expect(answer).toMatchObject({ type: 'command-ack' });
      expect(restored).toMatchObject({
        diverged: null,
        samples: samplesOf(saved),
        config: { optimizer: 'adam', lr: 0.01, paused: false },
      });
      await client.next(updateBeyond(samplesOf(saved)), MESSAGE_TIMEOUT_MS, mark);
      client.ws.close();
    });
  });

  it('refuses with a reason: no file kept, nothing written yet, a file that cannot be used', async () => {
    await withRun({}, async (none) => {
      const client = await record(none.wsUrl);
      for (const type of ['checkpoint', 'restore']) {
        expect(await command(client, { type }, type)).toMatchObject({
          ...REJECTED,
          message: `${type}: this server keeps no checkpoint file (it was started without one)`,
        });
      }
      client.ws.close();
    });

    const file = await tempFile();
    await withRun({ checkpointFile: file, fresh: true }, async (server) => {
      const client = await record(server.wsUrl);
      expect(await command(client, { type: 'restore' }, 'r1')).toMatchObject({
        ...REJECTED,
        message: 'restore: no checkpoint has been written yet; send checkpoint first',
      });
      await writeFile(file, '{"format":"adamflow.dashboard-checkpoint","vers');
      expect(await command(client, { type: 'restore' }, 'r2')).toMatchObject({
        ...REJECTED,
        message: 'restore: the checkpoint file cannot be used (not JSON (truncated?))',
      });
      client.ws.close();
    });
  });

  it('a checkpoint the trainer refuses leaves the run exactly as it was', async () => {
    const file = await tempFile();
    await withRun({ checkpointFile: file }, async (server) => {
      const client = await record(server.wsUrl);
      // Passes the file's checks, but the session inside has three parameters for a
      // two-parameter model; were its offset taken, the sample count would jump by 1e9.
      const spoiled = await checkpointPast(client, 500, file);
      spoiled.sampleOffset = 1e9;
      spoiled.session.learner.params = [1, 2, 3];
      await writeFile(file, JSON.stringify(spoiled));
      const paused = client.messages.length;
      await command(client, { type: 'pause' }, 'p');
      // A snapshot is the run as broadcast: wait until the pause has gone out.
      await client.next(stateChanged('pause'), MESSAGE_TIMEOUT_MS, paused);
      const before = await snapshot(client);
      const refused = await command(client, { type: 'restore' }, 'r');
      expect(refused).toMatchObject(REJECTED);
      expect(refused['message']).toMatch(/^restore: the checkpoint does not fit: .*params/);
      const after = await snapshot(client);
      const keep = ({ samples, step, params, config, diverged }: Message) => ({
        samples,
        step,
        params,
        config,
        diverged,
      });
      expect(keep(after)).toEqual(keep(before));
      await command(client, { type: 'resume' }, 'u');
      const update = await client.next(updateBeyond(before['samples'] as number));
      expect(update['samples'] as number).toBeLessThan(1e8);
      client.ws.close();
    });
  });

  it('with a control token, both need it: no file written, no run moved without it', async () => {
    const file = await tempFile();
    await withRun({ checkpointFile: file, token: 's3cret' }, async (server) => {
      const client = await record(server.wsUrl);
      await client.next(updateBeyond(300));
      expect(await command(client, { type: 'checkpoint' }, 'c1')).toMatchObject({
        code: 'ADAMFLOW_ERR_UNAUTHORIZED',
      });
      expect(await exists(file)).toBe(false);
      expect(await command(client, { type: 'checkpoint', token: 's3cret' }, 'c2')).toMatchObject({
        type: 'command-ack',
      });
      const saved = await readCheckpoint(file);
      const beyond = await client.next(updateBeyond(samplesOf(saved) + 1000));
      const mark = client.messages.length;
      expect(await command(client, { type: 'restore', token: 'nope' }, 'r1')).toMatchObject({
        code: 'ADAMFLOW_ERR_UNAUTHORIZED',
      });
      // training went on from where it was, not back to the checkpoint
      const next = await client.next(isType('params-update'), MESSAGE_TIMEOUT_MS, mark);
      expect(next['samples'] as number).toBeGreaterThan(beyond['samples'] as number);
      expect(client.messages.slice(mark).filter(isType('state-changed'))).toEqual([]);
      expect(await command(client, { type: 'restore', token: 's3cret' }, 'r2')).toMatchObject({
        type: 'command-ack',
      });
      client.ws.close();
    });
  });

  it('both count against the command budget; checkpoints asked for at once share writes', async () => {
    const file = await tempFile();
    const budget = { capacity: 6, perSecond: 0.01 };
    await withRun({ checkpointFile: file, commandBudget: budget }, async (server) => {
      const client = await record(server.wsUrl);
      await client.next(updateBeyond(300));
      const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
      for (const id of ids) client.send({ type: 'checkpoint', id });
      const answers = await Promise.all(ids.map((id) => client.next((m) => m['id'] === id)));
      expect(answers.map((m) => m['type'])).toEqual([...Array(6).fill('command-ack'), 'error']);
      expect(answers[6]).toMatchObject({ code: 'ADAMFLOW_ERR_RATE_LIMITED' });
      // those that arrive while a write is under way wait for one more, together
      expect(server.stats().checkpointsWritten).toBeLessThan(6);
      expect(await command(client, { type: 'restore' }, 'r')).toMatchObject({
        code: 'ADAMFLOW_ERR_RATE_LIMITED',
      });
      client.ws.close();
    });
  });
});
