// `set-rate` on the wire: the trainer's pace (samples per second, or null for flat out),
// acknowledged and broadcast, validated with a message that says what to send,
// token-protected, and kept through a divergence and the restart after it.
import { describe, expect, it } from 'vitest';
import {
  command,
  isType,
  MESSAGE_TIMEOUT_MS,
  type Message,
  type Recorder,
  record,
  snapshot,
  stateChanged,
} from './test-client.js';
import { startTestServer as start } from './test-server.js';

/**
 * Samples per second over at least `ms` of the server's own clock (the updates' `time`
 * stamps), from the updates after message `from`.
 */
async function measuredRate(client: Recorder, from: number, ms: number): Promise<number> {
  const first = await client.next(isType('params-update'), MESSAGE_TIMEOUT_MS, from);
  const t0 = first['time'] as number;
  const last = await client.next(
    (m) => m['type'] === 'params-update' && (m['time'] as number) >= t0 + ms,
    MESSAGE_TIMEOUT_MS,
    client.messages.indexOf(first) + 1,
  );
  return (
    (((last['samples'] as number) - (first['samples'] as number)) * 1000) /
    ((last['time'] as number) - t0)
  );
}

describe('set-rate', () => {
  it('paces the trainer: acknowledged, broadcast, and null trains flat out', async () => {
    const server = await start();
    try {
      const actor = await record(server.wsUrl);
      const watcher = await record(server.wsUrl);
      await watcher.next(isType('params-update'));
      let mark = watcher.messages.length;
      expect(await command(actor, { type: 'set-rate', rate: 200 }, 'slow')).toEqual({
        type: 'command-ack',
        id: 'slow',
        command: 'set-rate',
      });
      expect(await watcher.next(stateChanged('set-rate'), MESSAGE_TIMEOUT_MS, mark)).toMatchObject({
        config: { rate: 200, paused: false },
      });
      const slow = await measuredRate(watcher, watcher.messages.length, 2000);

      mark = watcher.messages.length;
      await command(actor, { type: 'set-rate', rate: null }, 'fast');
      expect(await watcher.next(stateChanged('set-rate'), MESSAGE_TIMEOUT_MS, mark)).toMatchObject({
        config: { rate: null },
      });
      const fast = await measuredRate(watcher, watcher.messages.length, 1000);
      // 200 a second, give or take a paced pump's catching up; flat out, far beyond the 4000
      // the server started with.
      expect({ slow: slow > 50 && slow < 400, fast: fast > 8000 }).toEqual({
        slow: true,
        fast: true,
      });
      actor.ws.close();
      watcher.ws.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a rate out of range or of the wrong type, saying what to send; nothing changes', async () => {
    const server = await start();
    try {
      const client = await record(server.wsUrl);
      const cases: [unknown, RegExp][] = [
        [0, /got 0$/],
        [-1, /got -1$/],
        [100_001, /got 100001$/],
        ['fast', /got "fast"$/],
        [undefined, /^set-rate: field rate is required$/],
      ];
      const answers: Message[] = [];
      for (const [i, [rate]] of cases.entries()) {
        answers.push(await command(client, { type: 'set-rate', rate }, `r${i}`));
      }
      for (const [i, [, said]] of cases.entries()) {
        expect(answers[i]).toMatchObject({ type: 'error', code: 'ADAMFLOW_ERR_INVALID_FIELD' });
        expect(answers[i]!['message']).toMatch(said);
      }
      expect(answers[0]!['message']).toBe(
        'set-rate: field rate: expected a number of samples per second from 1 to 100000, or null to train flat out, got 0',
      );
      const now = await snapshot(client);
      expect(now['config']).toMatchObject({ rate: 4000 });
      expect(client.messages.filter(isType('state-changed'))).toEqual([]);
      client.ws.close();
    } finally {
      await server.close();
    }
  });

  it('with a control token, set-rate needs it', async () => {
    const server = await start({ token: 's3cret' });
    try {
      const client = await record(server.wsUrl);
      expect(await command(client, { type: 'set-rate', rate: 10 }, 'a')).toMatchObject({
        code: 'ADAMFLOW_ERR_UNAUTHORIZED',
      });
      const now = await snapshot(client);
      expect(now['config']).toMatchObject({ rate: 4000 });
      expect(
        await command(client, { type: 'set-rate', rate: 10, token: 's3cret' }, 'b'),
      ).toMatchObject({ type: 'command-ack' });
      client.ws.close();
    } finally {
      await server.close();
    }
  });

  it('while diverged it is taken without restarting the run, and the restart keeps it', async () => {
    const server = await start();
    try {
      const client = await record(server.wsUrl);
      await command(client, { type: 'set-optimizer', optimizer: 'sgd', lr: 1 }, 'o');
      const diverged = await client.next(stateChanged('diverged'));
      let mark = client.messages.length;
      expect(await command(client, { type: 'set-rate', rate: 300 }, 'r')).toMatchObject({
        type: 'command-ack',
      });
      const paced = await client.next(stateChanged('set-rate'), MESSAGE_TIMEOUT_MS, mark);
      expect(paced).toMatchObject({
        config: { rate: 300, paused: true },
        diverged: diverged['diverged'],
        step: diverged['step'],
      });
      mark = client.messages.length;
      await command(client, { type: 'set-lr', lr: 0.01 }, 'l');
      expect(await client.next(stateChanged('set-lr'), MESSAGE_TIMEOUT_MS, mark)).toMatchObject({
        config: { rate: 300, paused: false },
        diverged: null,
      });
      client.ws.close();
    } finally {
      await server.close();
    }
  });
});
