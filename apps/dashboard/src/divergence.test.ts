// A diverging run (a learning rate far too large for its optimizer and source) must
// never kill the trainer: it pauses with a `diverged` state, every frame stays valid,
// and reset, set-lr, set-optimizer bring it back. Real server, real clients.
import { parseServerMessage } from '@adamflow/protocol';
import { describe, expect, it } from 'vitest';
import {
  command,
  isType,
  MESSAGE_TIMEOUT_MS,
  type Message,
  type Recorder,
  record,
  stateChanged,
} from './test-client.js';
import { withServer } from './test-server.js';

/** Drives the run into divergence and returns the `diverged` state-changed. */
async function diverge(client: Recorder, setup: [Message, string][]): Promise<Message> {
  const mark = client.messages.length;
  for (const [message, id] of setup) {
    expect(await command(client, message, id), id).toMatchObject({ type: 'command-ack' });
  }
  return client.next(stateChanged('diverged'), 30_000, mark);
}

const invalid = (messages: Message[]) =>
  messages
    .filter((m) => parseServerMessage(m) === undefined)
    .map((m) => JSON.stringify(m).slice(0, 200));

describe('a diverging run', () => {
  it('SGD at lr 1 on the seed line: paused with a diverged state, valid frames, a valid snapshot for a new page, and reset restarts it', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      await client.next(isType('snapshot'));
      const state = await diverge(client, [
        [{ type: 'set-optimizer', optimizer: 'sgd', lr: 1 }, 'sgd'],
      ]);
      expect(state).toMatchObject({
        config: { paused: true, optimizer: 'sgd', lr: 1 },
        diverged: { code: expect.stringMatching(/^ADAMFLOW_ERR_NON_FINITE_/) },
      });
      expect((state['params'] as number[]).every(Number.isFinite)).toBe(true);

      // A page opened now draws the stopped run.
      const fresh = await record(server.wsUrl);
      const snapshot = await fresh.next(isType('snapshot'));
      expect(parseServerMessage(snapshot)).toBeDefined();
      expect(snapshot).toMatchObject({ config: { paused: true }, diverged: state['diverged'] });

      // Stopped: no updates, and pause/resume say how to restart.
      const quiet = client.messages.length;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(client.messages.slice(quiet).filter(isType('params-update'))).toEqual([]);
      const resume = await command(client, { type: 'resume' }, 'resume');
      expect(resume).toMatchObject({ type: 'error', code: 'ADAMFLOW_ERR_COMMAND_REJECTED' });
      expect(resume['message']).toMatch(/diverged.*reset, set-lr, set-optimizer/);

      const mark = fresh.messages.length;
      expect(await command(client, { type: 'reset' }, 'reset')).toMatchObject({
        type: 'command-ack',
      });
      const restarted = await fresh.next(stateChanged('reset'), MESSAGE_TIMEOUT_MS, mark);
      expect(restarted).toMatchObject({
        diverged: null,
        step: 0,
        config: { paused: false, lr: 1 },
      });
      const update = await fresh.next(isType('params-update'), MESSAGE_TIMEOUT_MS, mark);
      expect((update['params'] as number[]).every(Number.isFinite)).toBe(true);

      expect(invalid([...client.messages, ...fresh.messages])).toEqual([]);
      client.ws.close();
      fresh.ws.close();
    });
  });

  it('SGD at lr 0.3 on the 3-feature source diverges; set-lr restarts it at the new rate', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      await diverge(client, [
        [{ type: 'set-source', source: 'multilinear' }, 'source'],
        [{ type: 'set-optimizer', optimizer: 'sgd', lr: 0.3 }, 'sgd'],
      ]);
      const mark = client.messages.length;
      expect(await command(client, { type: 'set-lr', lr: 0.005 }, 'lr')).toMatchObject({
        type: 'command-ack',
      });
      expect(await client.next(stateChanged('set-lr'), MESSAGE_TIMEOUT_MS, mark)).toMatchObject({
        diverged: null,
        step: 0,
        config: { paused: false, lr: 0.005, optimizer: 'sgd', source: 'multilinear' },
      });
      await client.next(isType('params-update'), MESSAGE_TIMEOUT_MS, mark);
      expect(invalid(client.messages)).toEqual([]);
      client.ws.close();
    });
  });

  it('SGD at lr 10 on the drift source diverges; set-optimizer restarts it', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      await diverge(client, [
        [{ type: 'set-source', source: 'drift' }, 'source'],
        [{ type: 'set-optimizer', optimizer: 'sgd', lr: 10 }, 'sgd'],
      ]);
      const mark = client.messages.length;
      expect(
        await command(client, { type: 'set-optimizer', optimizer: 'adam', lr: 0.01 }, 'adam'),
      ).toMatchObject({ type: 'command-ack' });
      expect(
        await client.next(stateChanged('set-optimizer'), MESSAGE_TIMEOUT_MS, mark),
      ).toMatchObject({
        diverged: null,
        config: { paused: false, lr: 0.01, optimizer: 'adam', source: 'drift' },
      });
      await client.next(isType('params-update'), MESSAGE_TIMEOUT_MS, mark);
      expect(invalid(client.messages)).toEqual([]);
      client.ws.close();
    });
  });
});

describe('paused runs and optimizer changes', () => {
  it('sends no params-update while paused, and updates again after resume', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      await client.next(isType('params-update'));
      const mark = client.messages.length;
      await command(client, { type: 'pause' }, 'pause');
      await client.next(stateChanged('pause'), MESSAGE_TIMEOUT_MS, mark);
      const quiet = client.messages.length;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(client.messages.slice(quiet).filter(isType('params-update'))).toEqual([]);
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      await command(client, { type: 'resume' }, 'resume');
      await client.next(isType('params-update'), MESSAGE_TIMEOUT_MS, quiet);
      client.ws.close();
    });
  });

  it('set-optimizer keeps the current learning rate unless the command gives one', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      await command(client, { type: 'set-lr', lr: 0.05 }, 'lr');
      let mark = client.messages.length;
      await command(client, { type: 'set-optimizer', optimizer: 'rmsprop' }, 'rmsprop');
      expect(
        await client.next(stateChanged('set-optimizer'), MESSAGE_TIMEOUT_MS, mark),
      ).toMatchObject({
        config: { optimizer: 'rmsprop', lr: 0.05 },
      });
      mark = client.messages.length;
      await command(client, { type: 'set-optimizer', optimizer: 'adam', lr: 0.002 }, 'adam');
      expect(
        await client.next(stateChanged('set-optimizer'), MESSAGE_TIMEOUT_MS, mark),
      ).toMatchObject({
        config: { optimizer: 'adam', lr: 0.002 },
      });
      client.ws.close();
    });
  });
});
