// Integration: real ws clients against a real server on 127.0.0.1, port 0. The tests
// import the built server (dist/), the artifact `pnpm start` runs.
import { connect } from '@adamflow/protocol';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DashboardServer, DashboardServerOptions } from './server.js';
import { isType, MESSAGE_TIMEOUT_MS, record } from './test-client.js';
import { startTestServer } from './test-server.js';

const start = (options: DashboardServerOptions = {}) => startTestServer({ rate: 2000, ...options });

describe('dashboard server', () => {
  let server: DashboardServer;
  beforeAll(async () => {
    // Every client here comes from 127.0.0.1; one test opens 200 at once.
    server = await start({
      maxConnectionsPerAddress: 256,
      connectRate: { capacity: 256, perSecond: 256 },
    });
  });
  afterAll(() => server.close());

  it('sends a snapshot on connect, then params-updates with increasing seq', async () => {
    const client = await record(server.wsUrl);
    const snapshot = await client.next(isType('snapshot'));
    expect(snapshot).toMatchObject({
      protocol: 1,
      config: { source: 'seed', optimizer: 'adam', paused: false },
    });
    expect((snapshot['params'] as number[]).length).toBe(2);
    expect(snapshot['truth']).toEqual([4, 3]);
    const first = await client.next(isType('params-update'));
    const later = await client.next(
      (m) => m['type'] === 'params-update' && (m['seq'] as number) > (first['seq'] as number),
    );
    expect(later['step'] as number).toBeGreaterThan(first['step'] as number);
    expect(first).toMatchObject({
      params: expect.any(Array),
      loss: expect.any(Number),
      recent: { x: expect.any(Array), y: expect.any(Array) },
    });
    client.ws.close();
  });

  it('conflates to at most 30 updates a second', async () => {
    const client = await record(server.wsUrl);
    // Timed by the server's clock (each update's `time`), not by when they arrive: a
    // busy machine delays and bunches deliveries but cannot move those stamps. The
    // median gap ignores the odd tick that the server itself ran late.
    const times: number[] = [];
    for (let from = 0; times.length < 31; ) {
      const update = await client.next(isType('params-update'), undefined, from);
      from = client.messages.indexOf(update) + 1;
      times.push(update['time'] as number);
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const median = gaps.sort((a, b) => a - b)[gaps.length >> 1]!;
    expect(median).toBeGreaterThanOrEqual(1000 / 32);
    client.ws.close();
  });

  it('applies every command: acknowledged to the sender, state broadcast to all', async () => {
    const actor = await record(server.wsUrl);
    const watcher = await record(server.wsUrl);
    await actor.next(isType('snapshot'));
    const commands: [Record<string, unknown>, (m: Record<string, unknown>) => void][] = [
      [
        { type: 'pause' },
        (m) => expect(m).toMatchObject({ reason: 'pause', config: { paused: true } }),
      ],
      [
        { type: 'resume' },
        (m) => expect(m).toMatchObject({ reason: 'resume', config: { paused: false } }),
      ],
      [{ type: 'set-lr', lr: 0.05 }, (m) => expect(m).toMatchObject({ config: { lr: 0.05 } })],
      [
        { type: 'set-optimizer', optimizer: 'rmsprop' },
        (m) => expect(m).toMatchObject({ config: { optimizer: 'rmsprop' } }),
      ],
      [
        { type: 'set-source', source: 'drift' },
        (m) => {
          expect(m).toMatchObject({ config: { source: 'drift' } });
          // the drift source starts on the seed line (to within its sigmoid's tail)
          expect((m['truth'] as number[])[0]).toBeCloseTo(4, 3);
          expect((m['truth'] as number[])[1]).toBeCloseTo(3, 3);
        },
      ],
      [
        { type: 'set-source', source: 'multilinear' },
        (m) =>
          expect(m).toMatchObject({
            config: { source: 'multilinear', features: 3 },
            truth: [4, 3, -1.5, 0.5],
          }),
      ],
      [
        { type: 'set-source', source: 'logistic' },
        (m) => expect(m).toMatchObject({ config: { model: 'logistic-regression' } }),
      ],
      [
        { type: 'set-source', source: 'seed' },
        (m) => expect(m).toMatchObject({ config: { source: 'seed' } }),
      ],
      [
        { type: 'reset' },
        (m) => expect(m).toMatchObject({ reason: 'reset', step: 0, params: [0, 0] }),
      ],
    ];
    for (const [index, [command, check]] of commands.entries()) {
      const id = `c${index}`;
      const mark = watcher.messages.length;
      actor.send({ ...command, id });
      await actor.next((m) => m['type'] === 'command-ack' && m['id'] === id);
      check(
        await watcher.next(
          (m) => m['type'] === 'state-changed' && m['reason'] === command['type'],
          MESSAGE_TIMEOUT_MS,
          mark,
        ),
      );
    }
    actor.send({ type: 'snapshot-request', id: 'snap' });
    const mark = actor.messages.length;
    await actor.next(isType('snapshot'), MESSAGE_TIMEOUT_MS, mark);
    actor.send({ type: 'resume', id: 'again' });
    const refused = await actor.next((m) => m['id'] === 'again');
    expect(refused).toMatchObject({ type: 'error', code: 'ADAMFLOW_ERR_COMMAND_REJECTED' });
    actor.ws.close();
    watcher.ws.close();
  });

  it('answers bad input with a coded error and carries on, for it and for others', async () => {
    const bad = await record(server.wsUrl);
    const bystander = await record(server.wsUrl);
    const cases: [unknown, string][] = [
      ['{not json', 'ADAMFLOW_ERR_INVALID_JSON'],
      [{ type: 'launch' }, 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
      [{ kind: 'pause' }, 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
      [[1, 2], 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
      [{ type: 'set-lr' }, 'ADAMFLOW_ERR_INVALID_FIELD'],
      [{ type: 'set-lr', lr: -1 }, 'ADAMFLOW_ERR_INVALID_FIELD'],
      [{ type: 'set-lr', lr: 1e9 }, 'ADAMFLOW_ERR_INVALID_FIELD'],
      [{ type: 'set-lr', lr: '0.1' }, 'ADAMFLOW_ERR_INVALID_FIELD'],
      [{ type: 'set-optimizer', optimizer: 'lion' }, 'ADAMFLOW_ERR_INVALID_FIELD'],
      [{ type: 'set-source', source: 'sine' }, 'ADAMFLOW_ERR_INVALID_FIELD'],
      [{ type: 'pause', extra: true }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    ];
    for (const [message, code] of cases) {
      const mark = bad.messages.length;
      bad.send(message);
      const reply = await bad.next(isType('error'), MESSAGE_TIMEOUT_MS, mark);
      expect(reply['code'], JSON.stringify(message)).toBe(code);
    }
    const mark = bad.messages.length;
    bad.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await bad.next(isType('error'), MESSAGE_TIMEOUT_MS, mark))['code']).toBe(
      'ADAMFLOW_ERR_BINARY_UNSUPPORTED',
    );
    // still served
    const updateMark = bystander.messages.length;
    await bystander.next(isType('params-update'), MESSAGE_TIMEOUT_MS, updateMark);
    await bad.next(isType('params-update'), MESSAGE_TIMEOUT_MS, bad.messages.length);
    // a frame over 64 KiB closes only that connection, with 1009
    bad.ws.send(JSON.stringify({ type: 'pause', id: 'x'.repeat(70 * 1024) }));
    expect((await bad.closed).code).toBe(1009);
    await bystander.next(isType('params-update'), MESSAGE_TIMEOUT_MS, bystander.messages.length);
    bystander.ws.close();
  });

  it('rate-limits messages per connection', async () => {
    const client = await record(server.wsUrl);
    for (let i = 0; i < 40; i++) client.send({ type: 'snapshot-request' });
    const limited = await client.next((m) => m['code'] === 'ADAMFLOW_ERR_RATE_LIMITED');
    expect(limited['message']).toMatch(/too many messages/);
    client.ws.close();
  });

  it('serves 200 concurrent clients, every one receiving updates', async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => record(server.wsUrl)));
    await Promise.all(clients.map((c) => c.next(isType('params-update'))));
    expect(server.stats().clients).toBeGreaterThanOrEqual(200);
    for (const c of clients) c.ws.close();
  });

  it('serves the page and a health endpoint over HTTP, and nothing outside the page', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('adamflow');
    const health = (await (await fetch(new URL('/healthz', server.url))).json()) as {
      samples: number;
    };
    expect(health.samples).toBeGreaterThan(0);
    expect((await fetch(new URL('/../../package.json', server.url))).status).toBe(404);
    expect((await fetch(new URL('/%2e%2e/server.js', server.url))).status).toBe(404);
  });

  it('the RxJS client from @adamflow/protocol receives snapshot and updates and sends commands', async () => {
    const client = connect(server.wsUrl, { WebSocket });
    const messages = firstValueFrom(client.messages.pipe(take(3), toArray()));
    const first = await messages;
    expect(first[0]!.type).toBe('snapshot');
    expect(
      first.slice(1).every((m) => m.type === 'params-update' || m.type === 'state-changed'),
    ).toBe(true);
    const ack = firstValueFrom(client.messages.pipe(filter((m) => m.type === 'command-ack')));
    // No wait before sending: `ack` subscribed before the shared socket's reset timer
    // could fire, so the socket that delivered `first` is still open.
    client.send({ type: 'set-lr', lr: 0.02, id: 'lr' });
    expect(await ack).toMatchObject({ id: 'lr', command: 'set-lr' });
    expect(() => client.send({ type: 'set-lr', lr: -5 })).toThrow(TypeError);
  });
});

describe('dashboard server: limits and access', () => {
  it('a client that never reads is bounded by the high-water mark, skipped, then closed with 4008', async () => {
    const server = await start({
      highWaterMark: 64 * 1024,
      stuckTimeoutMs: 500,
      heartbeatMs: 60_000,
      rateLimit: { capacity: 2000, perSecond: 2000 },
      snapshotBudget: { capacity: 2000, perSecond: 2000 },
    });
    try {
      const slow = await record(server.wsUrl);
      // Stop reading, and ask for snapshots (tens of KiB each) far faster than they
      // can drain: the kernel buffers fill, then ws's own buffer reaches the mark.
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const flood = setInterval(() => {
        for (let i = 0; i < 50; i++) slow.send({ type: 'snapshot-request' });
      }, 20);
      const deadline = Date.now() + 30_000;
      while (server.stats().clients > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      clearInterval(flood);
      const stats = server.stats();
      expect(stats.clients).toBe(0);
      expect(stats.skippedFrames).toBeGreaterThan(0);
      // Never more than the mark plus one message (a snapshot is the largest, < 192 KiB).
      expect(stats.maxBufferedAmount).toBeGreaterThan(64 * 1024);
      expect(stats.maxBufferedAmount).toBeLessThan(64 * 1024 + 192 * 1024);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const closed = await Promise.race([
        slow.closed,
        new Promise<{ code: number }>((r) => setTimeout(() => r({ code: -1 }), MESSAGE_TIMEOUT_MS)),
      ]);
      expect([4008, 1006]).toContain(closed.code);
    } finally {
      await server.close();
    }
  });

  it('heartbeat terminates a peer that does not answer pings', async () => {
    // The live peer must answer each ping within one interval, in this same busy
    // process: give it a second and a half, not a few hundred milliseconds.
    const server = await start({ heartbeatMs: 1500 });
    try {
      const dead = await record(server.wsUrl, { autoPong: false });
      const alive = await record(server.wsUrl);
      const closed = await dead.closed;
      expect(closed.code).toBe(1006);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      alive.ws.close();
    } finally {
      await server.close();
    }
  });

  it('with a control token, commands need it and viewing does not', async () => {
    const server = await start({ token: 's3cret' });
    try {
      const viewer = await record(server.wsUrl);
      await viewer.next(isType('snapshot'));
      viewer.send({ type: 'pause', id: 'p' });
      expect(await viewer.next((m) => m['id'] === 'p')).toMatchObject({
        type: 'error',
        code: 'ADAMFLOW_ERR_UNAUTHORIZED',
      });
      viewer.send({ type: 'pause', id: 'q', token: 'wrong' });
      expect(await viewer.next((m) => m['id'] === 'q')).toMatchObject({
        code: 'ADAMFLOW_ERR_UNAUTHORIZED',
      });
      viewer.send({ type: 'pause', id: 'r', token: 's3cret' });
      expect(await viewer.next((m) => m['id'] === 'r')).toMatchObject({ type: 'command-ack' });
      viewer.send({ type: 'snapshot-request' });
      await viewer.next(isType('snapshot'), MESSAGE_TIMEOUT_MS, 1);
      viewer.ws.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a browser from another origin, admits loopback origins', async () => {
    const server = await start();
    try {
      await expect(record(server.wsUrl, { origin: 'http://evil.example' })).rejects.toThrow(
        'HTTP 403',
      );
      const own = await record(server.wsUrl, { origin: `http://127.0.0.1:${server.port}` });
      await own.next(isType('snapshot'));
      own.ws.close();
      await expect(record(server.wsUrl.replace('/ws', '/other'))).rejects.toThrow('HTTP 404');
    } finally {
      await server.close();
    }
  });

  it('the client reconnects with backoff and resyncs from a fresh snapshot', async () => {
    const first = await start();
    const port = first.port;
    const client = connect(first.wsUrl, { WebSocket, initialDelay: 50, maxDelay: 200 });
    const snapshots: number[] = [];
    const waiting: (() => void)[] = [];
    const subscription = client.messages.subscribe((m) => {
      if (m.type !== 'snapshot') return;
      snapshots.push(m.seq);
      waiting.shift()?.();
    });
    const nextSnapshot = () => new Promise<void>((resolve) => waiting.push(resolve));
    const firstSnapshot = nextSnapshot();
    await firstSnapshot;
    const resynced = nextSnapshot();
    await first.close();
    const second = await start({ port });
    try {
      await resynced;
      expect(snapshots.length).toBeGreaterThanOrEqual(2);
    } finally {
      subscription.unsubscribe();
      await second.close();
    }
  });
});
