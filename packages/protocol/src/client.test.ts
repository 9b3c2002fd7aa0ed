import { filter, firstValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { type AddressInfo, WebSocketServer } from 'ws';
import { connect } from './client.js';
import { ClientError, ClientErrorCode } from './client-error.js';
import type { Snapshot } from './messages.js';

/**
 * A WebSocket the test drives by hand: nothing happens until it calls `open()`,
 * `drop()` or `receive()`, so no test races a timer.
 */
class FakeWebSocket {
  static made: FakeWebSocket[] = [];
  /** When each socket was made, on the clock the test sets. */
  static times: number[] = [];
  static clock = () => 0;
  readyState = 0;
  sent: unknown[] = [];
  onopen?: (event: unknown) => void;
  onclose?: (event: unknown) => void;
  onerror?: (event: unknown) => void;
  onmessage?: (event: unknown) => void;
  constructor(readonly url: string) {
    FakeWebSocket.made.push(this);
    FakeWebSocket.times.push(FakeWebSocket.clock());
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(wasClean = false): void {
    this.readyState = 3;
    this.onclose?.({ wasClean, code: wasClean ? 1000 : 1006, reason: '' });
  }
  /** The server closes it with a code of its own, with a closing handshake (clean). */
  closeByServer(code: number, reason: string): void {
    this.readyState = 3;
    this.onclose?.({ wasClean: true, code, reason });
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  static last(): FakeWebSocket {
    const socket = FakeWebSocket.made.at(-1);
    if (!socket) throw new Error('no socket made yet');
    return socket;
  }
}

afterEach(() => {
  FakeWebSocket.made = [];
  FakeWebSocket.times = [];
  FakeWebSocket.clock = () => 0;
  vi.restoreAllMocks();
});

const url = 'ws://127.0.0.1:1/ws';

describe('connect: sending before the socket is open', () => {
  it('queues messages and sends them in order once it opens', () => {
    const client = connect(url, { WebSocket: FakeWebSocket, token: 't' });
    const subscription = client.messages.subscribe();
    client.send({ type: 'pause' });
    client.send({ type: 'set-lr', lr: 0.5, id: 'a' });
    expect(FakeWebSocket.last().sent).toEqual([]);
    FakeWebSocket.last().open();
    client.send({ type: 'resume' });
    expect(FakeWebSocket.last().sent).toEqual([
      { type: 'pause', token: 't' },
      { type: 'set-lr', lr: 0.5, id: 'a', token: 't' },
      { type: 'resume', token: 't' },
    ]);
    subscription.unsubscribe();
  });

  it('throws a coded ClientError when the queue is full, keeping what it holds', () => {
    const client = connect(url, { WebSocket: FakeWebSocket, maxQueue: 3 });
    const subscription = client.messages.subscribe();
    for (const id of ['1', '2', '3']) client.send({ type: 'reset', id });
    let thrown: unknown;
    try {
      client.send({ type: 'reset', id: '4' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ClientError);
    expect(thrown).toMatchObject({ code: ClientErrorCode.QUEUE_FULL, id: '4' });
    FakeWebSocket.last().open();
    expect(FakeWebSocket.last().sent).toEqual(['1', '2', '3'].map((id) => ({ type: 'reset', id })));
    subscription.unsubscribe();
  });

  it('still throws TypeError on an invalid command, queuing nothing', () => {
    const client = connect(url, { WebSocket: FakeWebSocket });
    const subscription = client.messages.subscribe();
    expect(() => client.send({ type: 'set-lr', lr: -5 })).toThrow(TypeError);
    FakeWebSocket.last().open();
    expect(FakeWebSocket.last().sent).toEqual([]);
    subscription.unsubscribe();
  });

  it('refuses invalid options with a RangeError that names them', () => {
    expect(() => connect(url, { WebSocket: FakeWebSocket, maxQueue: 0 })).toThrow(
      'maxQueue must be a positive finite number, got 0',
    );
  });
});

/** Runs `body` in virtual time: rxjs timers fire only when `flush()` is called. */
function virtually(body: (flush: () => void) => void): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  FakeWebSocket.clock = () => scheduler.now();
  scheduler.run(({ flush }) => body(flush));
}

describe('connect: reconnecting', () => {
  it('backs off exponentially with equal jitter, and starts over after a connection that opened', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    virtually((flush) => {
      const client = connect(url, { WebSocket: FakeWebSocket, initialDelay: 100, maxDelay: 1000 });
      const subscription = client.messages.subscribe();
      for (let i = 0; i < 3; i++) {
        FakeWebSocket.last().drop(); // refused: never opened
        flush();
      }
      FakeWebSocket.last().open();
      FakeWebSocket.last().drop(true); // a clean close after a good connection
      flush();
      FakeWebSocket.last().drop();
      flush();
      subscription.unsubscribe();
    });
    const times = FakeWebSocket.times;
    const delays = times.slice(1).map((t, i) => t - times[i]!);
    // Ceilings 100, 200, 400; then the open resets them: 100, 200. Waits are 3/4 of each.
    expect(delays).toEqual([75, 150, 300, 75, 150]);
  });

  it('sends what was queued while reconnecting once the new socket opens', () => {
    virtually((flush) => {
      const client = connect(url, { WebSocket: FakeWebSocket, initialDelay: 100 });
      const statuses: string[] = [];
      client.status.subscribe((s) => statuses.push(s));
      const subscription = client.messages.subscribe();
      FakeWebSocket.last().open();
      FakeWebSocket.last().drop();
      client.send({ type: 'pause', id: 'while-down' });
      flush();
      expect(FakeWebSocket.made).toHaveLength(2);
      FakeWebSocket.last().open();
      expect(FakeWebSocket.made[0]!.sent).toEqual([]);
      expect(FakeWebSocket.last().sent).toEqual([{ type: 'pause', id: 'while-down' }]);
      subscription.unsubscribe();
      flush();
      expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open', 'closed']);
    });
  });

  it('reconnects with the last seq and epoch, and drops a frame it already has', () => {
    virtually((flush) => {
      const client = connect(`${url}?session=demo`, {
        WebSocket: FakeWebSocket,
        initialDelay: 100,
      });
      const seqs: number[] = [];
      const subscription = client.messages.subscribe((m) => {
        if ('seq' in m) seqs.push(m.seq);
      });
      FakeWebSocket.last().open();
      FakeWebSocket.last().receive({ ...snapshot(), seq: 4, epoch: 'e1' });
      FakeWebSocket.last().receive(update(5));
      FakeWebSocket.last().drop();
      flush();
      const resumed = new URL(FakeWebSocket.last().url);
      FakeWebSocket.last().open();
      FakeWebSocket.last().receive(update(5)); // replayed twice: dropped
      FakeWebSocket.last().receive(update(6));
      subscription.unsubscribe();
      flush();
      expect([...resumed.searchParams]).toEqual([
        ['session', 'demo'],
        ['seq', '5'],
        ['epoch', 'e1'],
      ]);
      expect(seqs).toEqual([4, 5, 6]);
      // No gap, so no snapshot-request.
      expect(FakeWebSocket.last().sent).toEqual([]);
    });
  });

  it('after a cut as too slow (4008), comes back after a jittered delay with the last seq and epoch', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.25);
    virtually((flush) => {
      const client = connect(`${url}?session=demo`, {
        WebSocket: FakeWebSocket,
        initialDelay: 100,
      });
      const statuses: string[] = [];
      client.status.subscribe((s) => statuses.push(s));
      const subscription = client.messages.subscribe();
      FakeWebSocket.last().open();
      FakeWebSocket.last().receive({ ...snapshot(), seq: 4, epoch: 'e1' });
      FakeWebSocket.last().receive(update(5));
      FakeWebSocket.last().closeByServer(4008, 'too slow: send buffer full');
      flush();
      FakeWebSocket.last().open();
      subscription.unsubscribe();
      flush();
      expect(FakeWebSocket.made).toHaveLength(2);
      expect([...new URL(FakeWebSocket.last().url).searchParams]).toEqual([
        ['session', 'demo'],
        ['seq', '5'],
        ['epoch', 'e1'],
      ]);
      // Ceiling 100: half of it always, a quarter of the other half drawn.
      expect(FakeWebSocket.times[1]! - FakeWebSocket.times[0]!).toBe(62.5);
      expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open', 'closed']);
    });
  });

  it('does not ask a server without an epoch to resume', () => {
    virtually((flush) => {
      const client = connect(url, { WebSocket: FakeWebSocket, initialDelay: 100 });
      const subscription = client.messages.subscribe();
      FakeWebSocket.last().open();
      FakeWebSocket.last().receive({ ...snapshot(), seq: 4 });
      FakeWebSocket.last().drop();
      flush();
      expect(FakeWebSocket.last().url).toBe(url);
      subscription.unsubscribe();
      flush();
    });
  });

  it('ignores a late close event from a socket the client already let go', () => {
    virtually((flush) => {
      const client = connect(url, { WebSocket: FakeWebSocket });
      const statuses: string[] = [];
      client.status.subscribe((s) => statuses.push(s));
      client.messages.subscribe().unsubscribe();
      flush();
      const subscription = client.messages.subscribe();
      FakeWebSocket.last().open();
      FakeWebSocket.made[0]!.drop(true); // the first socket's close arrives only now
      client.send({ type: 'reset' });
      expect(FakeWebSocket.last().sent).toEqual([{ type: 'reset' }]);
      subscription.unsubscribe();
      flush();
      expect(statuses).toEqual(['connecting', 'closed', 'connecting', 'open', 'closed']);
    });
  });
});

describe('connect: request', () => {
  it('resolves with the ack for its id, and rejects with the server code of an error for its id', async () => {
    const client = connect(url, { WebSocket: FakeWebSocket });
    const first = client.request({ type: 'set-lr', lr: 0.1 });
    const second = client.request({ type: 'resume', id: 'mine' });
    FakeWebSocket.last().open();
    const socket = FakeWebSocket.last();
    expect(socket.sent).toEqual([
      { type: 'set-lr', lr: 0.1, id: 'request-1' },
      { type: 'resume', id: 'mine' },
    ]);
    // Answers for other ids, and out of order, are not taken for these.
    socket.receive({ type: 'command-ack', id: 'other', command: 'reset' });
    socket.receive({
      type: 'error',
      code: 'ADAMFLOW_ERR_COMMAND_REJECTED',
      message: 'no',
      id: 'mine',
    });
    socket.receive({ type: 'command-ack', id: 'request-1', command: 'set-lr' });
    await expect(first).resolves.toEqual({
      type: 'command-ack',
      id: 'request-1',
      command: 'set-lr',
    });
    await expect(second).rejects.toMatchObject({
      name: 'ClientError',
      code: 'ADAMFLOW_ERR_COMMAND_REJECTED',
      message: 'no',
      id: 'mine',
    });
    // No subscriber left: the settled requests let the socket go.
    await firstValueFrom(client.status.pipe(filter((s) => s === 'closed')));
    expect(socket.readyState).toBe(3);
  });

  it('rejects with ADAMFLOW_ERR_CONNECTION_CLOSED when the socket closes after sending, and does not resend', async () => {
    const client = connect(url, { WebSocket: FakeWebSocket, initialDelay: 100 });
    const subscription = client.messages.subscribe();
    FakeWebSocket.last().open();
    const pending = client.request({ type: 'reset', id: 'r' });
    FakeWebSocket.last().drop();
    await expect(pending).rejects.toMatchObject({
      code: ClientErrorCode.CONNECTION_CLOSED,
      id: 'r',
    });
    subscription.unsubscribe();
    expect(FakeWebSocket.made[0]!.sent).toEqual([{ type: 'reset', id: 'r' }]);
  });

  it('rejects with ADAMFLOW_ERR_TIMEOUT, and a request that gave up is not sent later', async () => {
    let pending: Promise<unknown> | undefined;
    virtually((flush) => {
      const client = connect(url, { WebSocket: FakeWebSocket });
      pending = client.request({ type: 'pause', id: 'p' }, { timeout: 5000 });
      pending.catch(() => {});
      const subscription = client.messages.subscribe();
      flush();
      FakeWebSocket.last().open();
      subscription.unsubscribe();
    });
    await expect(pending).rejects.toMatchObject({ code: ClientErrorCode.TIMEOUT, id: 'p' });
    expect(FakeWebSocket.last().sent).toEqual([]);
  });

  it('does not miss an answer that comes back at once', async () => {
    const client = connect(url, { WebSocket: FakeWebSocket });
    const subscription = client.messages.subscribe();
    const socket = FakeWebSocket.last();
    socket.open();
    socket.send = (data: string) => {
      const { id, type } = JSON.parse(data) as { id: string; type: string };
      socket.receive({ type: 'command-ack', id, command: type });
    };
    await expect(
      client.request({ type: 'pause', id: 'fast' }, { timeout: 60_000 }),
    ).resolves.toEqual({
      type: 'command-ack',
      id: 'fast',
      command: 'pause',
    });
    subscription.unsubscribe();
  });

  it('throws TypeError for an id that is still waiting', () => {
    const client = connect(url, { WebSocket: FakeWebSocket });
    client.request({ type: 'pause', id: 'same' }).catch(() => {});
    expect(() => client.request({ type: 'resume', id: 'same' })).toThrow(/still waiting/);
  });
});

describe('connect: against a real ws server', () => {
  it('a command sent at once after connect arrives, and request() gets the ack or the coded error', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const received: unknown[] = [];
    server.on('connection', (ws) => {
      ws.send(JSON.stringify(snapshot()));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; id?: string; lr?: number };
        received.push(message);
        const id = message.id ?? null;
        if (message.type === 'set-lr' && message.lr === 5) {
          ws.send(
            JSON.stringify({
              type: 'error',
              code: 'ADAMFLOW_ERR_COMMAND_REJECTED',
              message: 'too high',
              id,
            }),
          );
        } else ws.send(JSON.stringify({ type: 'command-ack', id, command: message.type }));
      });
    });
    const { port } = server.address() as AddressInfo;
    const client = connect(`ws://127.0.0.1:${port}/ws`, { WebSocket });
    try {
      const firstAck = firstValueFrom(
        client.messages.pipe(filter((m) => m.type === 'command-ack' && m.id === 'early')),
      );
      client.send({ type: 'pause', id: 'early' });
      await firstAck;
      await expect(client.request({ type: 'set-lr', lr: 0.1 })).resolves.toMatchObject({
        type: 'command-ack',
        command: 'set-lr',
      });
      await expect(client.request({ type: 'set-lr', lr: 5 })).rejects.toMatchObject({
        code: 'ADAMFLOW_ERR_COMMAND_REJECTED',
      });
      expect(received.map((m) => (m as { type: string }).type)).toEqual([
        'pause',
        'set-lr',
        'set-lr',
      ]);
    } finally {
      for (const ws of server.clients) ws.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('connect: gaps in seq', () => {
  it('asks for one snapshot at a time, and not about the gap right after a snapshot', () => {
    let clock = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    virtually(() => {
      const client = connect(url, { WebSocket: FakeWebSocket, requestTimeout: 5000 });
      const subscription = client.messages.subscribe();
      const socket = FakeWebSocket.last();
      const asked = () =>
        socket.sent.filter((m) => (m as { type: string }).type === 'snapshot-request');
      socket.open();
      socket.receive({ ...snapshot(), seq: 4 });
      // Frames skipped while the snapshot filled the socket: not asked about.
      socket.receive(update(9));
      expect(asked()).toHaveLength(0);
      socket.receive(update(12));
      socket.receive(update(15));
      socket.receive(update(18));
      // One request out, however many gaps follow it.
      expect(asked()).toHaveLength(1);
      clock += 5000;
      socket.receive(update(21));
      // No snapshot within requestTimeout: asked again.
      expect(asked()).toHaveLength(2);
      socket.receive({ ...snapshot(), seq: 30 });
      socket.receive(update(35));
      socket.receive(update(36));
      expect(asked()).toHaveLength(2);
      socket.receive(update(40));
      expect(asked()).toHaveLength(3);
      subscription.unsubscribe();
    });
  });
});

function update(seq: number) {
  return {
    type: 'params-update',
    seq,
    time: 0,
    step: seq,
    samples: seq,
    params: [0, 0],
    loss: null,
    lossEma: null,
    samplesPerSecond: 0,
    truth: null,
    recent: { x: [], y: [] },
  };
}

function snapshot(): Snapshot {
  return {
    type: 'snapshot',
    protocol: 1,
    seq: 0,
    time: 0,
    config: {
      source: 'seed',
      model: 'linear-regression',
      features: 1,
      optimizer: 'adam',
      lr: 0.01,
      batchSize: 1,
      rate: null,
      paused: false,
    },
    truth: null,
    params: [0, 0],
    step: 0,
    samples: 0,
    samplesPerSecond: 0,
    loss: null,
    lossEma: null,
    history: { step: [], loss: [], lossEma: [], params: [[], []] },
    recent: { x: [], y: [] },
    clients: 1,
    diverged: null,
  };
}
