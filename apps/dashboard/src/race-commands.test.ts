// The race on the wire: add-contestant, remove-contestant and retune-contestant against
// a real server, validated, token-protected, acknowledged and bounded like every other
// command; a diverging contestant stops alone. Real server, real clients.
import {
  applyServerMessage,
  emptySessionView,
  leaderboardOf,
  parseServerMessage,
  type ServerMessage,
} from '@adamflow/protocol';
import { describe, expect, it } from 'vitest';
import type { DashboardServer, DashboardServerOptions } from './server.js';
import {
  command,
  isType,
  MESSAGE_TIMEOUT_MS,
  type Message,
  record,
  stateChanged,
} from './test-client.js';
import { withServer as withTestServer } from './test-server.js';

const withServer = (options: DashboardServerOptions, body: (s: DashboardServer) => Promise<void>) =>
  withTestServer({ rate: 2000, ...options }, body);

const invalid = (messages: Message[]) =>
  messages
    .filter((m) => parseServerMessage(m) === undefined)
    .map((m) => JSON.stringify(m).slice(0, 200));

/** The view a client holds after every message it received. */
const viewOf = (messages: Message[]) =>
  messages.reduce(
    (view, message) => applyServerMessage(view, parseServerMessage(message) as ServerMessage),
    emptySessionView(),
  );

describe('race commands', () => {
  it('add, retune and remove contestants: acknowledged, broadcast, raced on the same samples, ranked', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      const watcher = await record(server.wsUrl);
      await client.next(isType('snapshot'));
      const added = [
        { type: 'add-contestant', optimizer: 'sgd', options: { lr: 0.01, momentum: 0.9 } },
        { type: 'add-contestant', optimizer: 'rmsprop', options: { lr: 0.01 }, name: 'RMSProp' },
      ];
      for (const [i, message] of added.entries()) {
        expect(await command(client, message, `add-${i}`)).toMatchObject({
          type: 'command-ack',
          command: 'add-contestant',
        });
      }
      const change = await watcher.next(
        (m) =>
          stateChanged('add-contestant')(m) &&
          ((m['config'] as { contestants: unknown[] }).contestants?.length ?? 0) === 2,
      );
      expect((change['config'] as { contestants: unknown[] }).contestants).toMatchObject([
        {
          id: 'c1',
          name: 'sgd',
          optimizer: 'sgd',
          options: { lr: 0.01, momentum: 0.9 },
          colour: 1,
        },
        { id: 'c2', name: 'RMSProp', optimizer: 'rmsprop', colour: 2, diverged: null },
      ]);
      // Every later update carries both contestants, learning sample after sample.
      const mark = watcher.messages.length;
      await watcher.next(
        (m) =>
          isType('params-update')(m) &&
          ((m['contestants'] as { steps: number }[] | undefined) ?? []).every(
            (status) => status.steps > 200,
          ),
        MESSAGE_TIMEOUT_MS,
        mark,
      );
      const view = viewOf(watcher.messages);
      const board = leaderboardOf(view);
      expect(board.map((row) => row.id).sort()).toEqual(['c1', 'c2', 'primary']);
      expect(board.map((row) => row.rank)).toEqual([1, 2, 3]);
      expect(view.history.contestants.map((columns) => columns.id)).toEqual(['c1', 'c2']);

      expect(
        await command(
          client,
          { type: 'retune-contestant', contestant: 'c1', options: { lr: 0.002 } },
          'retune',
        ),
      ).toMatchObject({ type: 'command-ack' });
      const retuned = await watcher.next(stateChanged('retune-contestant'));
      expect((retuned['config'] as { contestants: unknown[] }).contestants[0]).toMatchObject({
        id: 'c1',
        options: { lr: 0.002, momentum: 0.9 },
      });
      expect(
        await command(client, { type: 'remove-contestant', contestant: 'c1' }, 'remove'),
      ).toMatchObject({ type: 'command-ack' });
      const removed = await watcher.next(stateChanged('remove-contestant'));
      expect((removed['config'] as { contestants: { id: string }[] }).contestants).toEqual([
        expect.objectContaining({ id: 'c2' }),
      ]);
      // A page that connects now sees the race as the watcher does.
      const late = await record(server.wsUrl);
      const snapshot = await late.next(isType('snapshot'));
      expect((snapshot['config'] as { contestants: { id: string }[] }).contestants).toEqual([
        expect.objectContaining({ id: 'c2' }),
      ]);
      expect(invalid([...watcher.messages, ...late.messages])).toEqual([]);
      for (const c of [client, watcher, late]) c.ws.close();
    });
  });

  it.each([
    [{ type: 'add-contestant' }, 'field optimizer is required'],
    [{ type: 'add-contestant', optimizer: 'ADAM' }, 'optimizer'],
    [{ type: 'add-contestant', optimizer: 'adam', options: { lr: -1 } }, 'options.lr'],
    [{ type: 'add-contestant', optimizer: 'adam', options: { lr: 11 } }, 'options.lr'],
    [{ type: 'add-contestant', optimizer: 'sgd', options: { momentum: 1 } }, 'options.momentum'],
    [{ type: 'add-contestant', optimizer: 'adam', options: { turbo: 1 } }, 'not part of'],
    [{ type: 'add-contestant', optimizer: 'adam', options: [1] }, 'options'],
    [{ type: 'add-contestant', optimizer: 'adam', name: 'x'.repeat(33) }, 'name'],
    [{ type: 'add-contestant', optimizer: 'adam', colour: 3 }, 'not part of'],
    [{ type: 'remove-contestant' }, 'field contestant is required'],
    [{ type: 'remove-contestant', contestant: 'c'.repeat(17) }, 'contestant'],
    [{ type: 'remove-contestant', contestant: 7 }, 'contestant'],
    [{ type: 'retune-contestant', contestant: 'c1' }, 'field options is required'],
    [{ type: 'retune-contestant', contestant: 'c1', options: { lr: 0 } }, 'options.lr'],
    [{ type: 'retune-contestant', contestant: 'c1', options: { eps: '1e-8' } }, 'options.eps'],
  ])('refuses %j with ADAMFLOW_ERR_INVALID_FIELD (%s)', async (message, text) => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      const answer = await command(client, message, 'bad');
      expect(answer).toMatchObject({
        type: 'error',
        code: 'ADAMFLOW_ERR_INVALID_FIELD',
        id: 'bad',
      });
      expect(answer['message']).toContain(text);
      expect(server.stats().commandsApplied).toBe(0);
      client.ws.close();
    });
  });

  it('refuses what the trainer cannot do, saying why, and changes nothing', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      const rejected = async (message: Message, id: string, text: RegExp) => {
        const answer = await command(client, message, id);
        expect(answer, id).toMatchObject({ type: 'error', code: 'ADAMFLOW_ERR_COMMAND_REJECTED' });
        expect(answer['message'], id).toMatch(text);
      };
      await rejected(
        { type: 'remove-contestant', contestant: 'c1' },
        'unknown',
        /no contestant "c1"/,
      );
      await rejected(
        { type: 'remove-contestant', contestant: 'primary' },
        'primary',
        /set-optimizer/,
      );
      await rejected(
        { type: 'retune-contestant', contestant: 'primary', options: { momentum: 0.5 } },
        'primary-momentum',
        /lr alone/,
      );
      for (let i = 1; i <= 7; i++) {
        const answer = await command(
          client,
          { type: 'add-contestant', optimizer: 'adam' },
          `a${i}`,
        );
        expect(answer, `a${i}`).toMatchObject({ type: 'command-ack' });
      }
      await rejected({ type: 'add-contestant', optimizer: 'sgd' }, 'full', /at most 8 contestants/);
      // Seven race, never an eighth: the refusals changed nothing.
      const mark = client.messages.length;
      client.send({ type: 'snapshot-request' });
      const snapshot = await client.next(isType('snapshot'), MESSAGE_TIMEOUT_MS, mark);
      expect(
        (snapshot['config'] as { contestants: unknown[] }).contestants.length,
      ).toBeLessThanOrEqual(7);
      const last = await client.next(
        (m) =>
          stateChanged('add-contestant')(m) &&
          (m['config'] as { contestants: unknown[] }).contestants.length === 7,
      );
      expect(last).toBeDefined();
      expect(client.messages.filter(isType('state-changed')).length).toBeLessThanOrEqual(7);
      client.ws.close();
    });
  });

  it('the primary contestant is retuned through its learning rate', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      const answer = await command(
        client,
        { type: 'retune-contestant', contestant: 'primary', options: { lr: 0.05 } },
        'lr',
      );
      expect(answer).toMatchObject({ type: 'command-ack', command: 'retune-contestant' });
      expect(await client.next(stateChanged('set-lr'))).toMatchObject({ config: { lr: 0.05 } });
      client.ws.close();
    });
  });

  it('a diverging contestant stops alone: marked diverged, frames valid, the run and the others go on; retune brings it back', async () => {
    await withServer({}, async (server) => {
      const client = await record(server.wsUrl);
      await command(
        client,
        { type: 'add-contestant', optimizer: 'adam', options: { lr: 0.05 } },
        'a',
      );
      await command(client, { type: 'add-contestant', optimizer: 'sgd', options: { lr: 5 } }, 's');
      const change = await client.next(stateChanged('contestant-diverged'));
      expect(change).toMatchObject({ diverged: null, config: { paused: false } });
      const [adam, sgd] = (change['config'] as { contestants: Message[] }).contestants;
      expect(adam).toMatchObject({ id: 'c1', diverged: null });
      expect(sgd).toMatchObject({
        id: 'c2',
        diverged: { code: expect.stringMatching(/^ADAMFLOW_ERR_NON_FINITE_/) },
      });
      // The run and Adam go on; SGD stays where it stopped.
      const mark = client.messages.length;
      const first = await client.next(isType('params-update'), MESSAGE_TIMEOUT_MS, mark);
      const later = await client.next(
        (m) =>
          isType('params-update')(m) && (m['step'] as number) > (first['step'] as number) + 200,
        MESSAGE_TIMEOUT_MS,
        mark,
      );
      const steps = (m: Message) => (m['contestants'] as { steps: number }[]).map((s) => s.steps);
      expect(steps(later)[0]).toBeGreaterThan(steps(first)[0]!);
      expect(steps(later)[1]).toBe(steps(first)[1]);
      expect(leaderboardOf(viewOf(client.messages)).at(-1)).toMatchObject({
        id: 'c2',
        lossEma: null,
      });

      await command(
        client,
        { type: 'retune-contestant', contestant: 'c2', options: { lr: 0.01 } },
        'retune',
      );
      const back = await client.next(stateChanged('retune-contestant'));
      expect((back['config'] as { contestants: Message[] }).contestants[1]).toMatchObject({
        diverged: null,
        options: { lr: 0.01 },
      });
      expect(invalid(client.messages)).toEqual([]);
      client.ws.close();
    });
  });

  it('with a control token, race commands need it', async () => {
    await withServer({ token: 'secret' }, async (server) => {
      const client = await record(server.wsUrl);
      for (const message of [
        { type: 'add-contestant', optimizer: 'adam' },
        { type: 'remove-contestant', contestant: 'c1' },
        { type: 'retune-contestant', contestant: 'c1', options: { lr: 0.01 } },
      ]) {
        expect(await command(client, message, message.type)).toMatchObject({
          type: 'error',
          code: 'ADAMFLOW_ERR_UNAUTHORIZED',
        });
      }
      expect(
        await command(client, { type: 'add-contestant', optimizer: 'adam', token: 'secret' }, 'ok'),
      ).toMatchObject({ type: 'command-ack' });
      client.ws.close();
    });
  });

  it('race commands spend the global command budget and the per-connection limit', async () => {
    await withServer({ commandBudget: { capacity: 3, perSecond: 0.01 } }, async (server) => {
      const client = await record(server.wsUrl);
      const answers = [];
      for (const [i, message] of [
        { type: 'add-contestant', optimizer: 'adam' },
        { type: 'retune-contestant', contestant: 'c1', options: { lr: 0.01 } },
        { type: 'remove-contestant', contestant: 'c1' },
        { type: 'add-contestant', optimizer: 'sgd' },
      ].entries()) {
        answers.push(await command(client, message, `m${i}`));
      }
      expect(answers.map((answer) => answer['type'])).toEqual([
        'command-ack',
        'command-ack',
        'command-ack',
        'error',
      ]);
      expect(answers[3]).toMatchObject({ code: 'ADAMFLOW_ERR_RATE_LIMITED' });
      expect(server.stats().commandsApplied).toBe(3);
      client.ws.close();
    });
    await withServer({ rateLimit: { capacity: 2, perSecond: 0.01 } }, async (server) => {
      const client = await record(server.wsUrl);
      for (let i = 0; i < 3; i++) {
        client.send({ type: 'add-contestant', optimizer: 'adam', id: `r${i}` });
      }
      // The connection's own limit answers without an id.
      await client.next((m) => m['code'] === 'ADAMFLOW_ERR_RATE_LIMITED');
      await client.next((m) => m['id'] === 'r1');
      expect(client.messages.filter(isType('command-ack')).map((m) => m['id'])).toEqual([
        'r0',
        'r1',
      ]);
      expect(server.stats().commandsApplied).toBe(2);
      client.ws.close();
    });
  });
});
