// What a peer can make the server do: malformed targets, hostile JSON, descriptor
// exhaustion, floods within the per-connection limits, token guessing, huge headers in
// the log. Where the failure mode is "the process dies", the server runs in a child
// process (server-process.ts) and the test asks whether it is still alive.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { parseServerMessage } from '@adamflow/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardServerOptions } from './server.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { isType, record } from './test-client.js';
import { startTestServer } from './test-server.js';

const start = (options: DashboardServerOptions = {}) => startTestServer({ rate: 2000, ...options });

/** Opens a TCP connection to the server. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `head` on `socket` and resolves with the status code of the response (0 when the
 * connection closes without one).
 */
function exchange(socket: Socket, head: string): Promise<number> {
  return new Promise((resolve) => {
    let text = '';
    const done = (status: number) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(status);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const match = /HTTP\/1\.1 (\d{3})/.exec(text);
      if (match) done(Number(match[1]));
    };
    const onClose = () => done(0);
    const timer = setTimeout(() => done(-1), 15_000);
    socket.once('close', () => clearTimeout(timer));
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => {});
    socket.write(head);
  });
}

async function statusOf(port: number, head: string): Promise<number> {
  const socket = await open(port);
  try {
    return await exchange(socket, head);
  } finally {
    socket.destroy();
  }
}

const get = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;
const upgrade = (target: string) =>
  get(
    target,
    'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
  ).replace('Connection: close\r\n', '');

describe('dashboard server: hostile requests (server in a child process)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ port: 0, rate: 500 });
  });
  afterAll(() => server.stop());

  it('answers malformed request targets with 4xx on both the request and the upgrade path, and stays up', async () => {
    const targets = [
      '/%ff',
      '/%',
      '/%zz',
      '//',
      '/\\',
      '//evil.example/x',
      '/\\evil.example',
      '/%ff/../ws',
      '/ws%ff',
      '/ws?%ff',
      `http://127.0.0.1:${server.port}/%ff`,
      'http://[::1',
      '*',
      `/${'a'.repeat(4000)}`,
      `/ws?${'b'.repeat(4000)}`,
    ];
    const statuses: Record<string, [number, number]> = {};
    for (const target of targets) {
      statuses[target.slice(0, 40)] = [
        await statusOf(server.port, get(target)),
        await statusOf(server.port, upgrade(target)),
      ];
    }
    expect(server.alive(), server.log()).toBe(true);
    // 400 (malformed), 404 (no such file), 414 (too long); never 0 (no answer) or 5xx.
    // The query is not read: /ws?%ff is the WebSocket.
    for (const [target, [plain, upgraded]] of Object.entries(statuses)) {
      expect([400, 404, 414], `GET ${target}`).toContain(plain);
      expect(target === '/ws?%ff' ? [101] : [400, 404, 414], `upgrade ${target}`).toContain(
        upgraded,
      );
    }
    expect(statuses['/%ff']).toEqual([400, 400]);
    expect(statuses[`/${'a'.repeat(39)}`]).toEqual([414, 414]);
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
  });

  it('answers malformed WebSocket handshake headers with 400, and stays up', async () => {
    const base = upgrade('/ws');
    const variants = [
      base.replace('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Key: %%%'),
      base.replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 99999999999999999999'),
      base.replace('\r\n\r\n', '\r\nSec-WebSocket-Protocol: ,,, ;;\r\n\r\n'),
      base.replace('\r\n\r\n', `\r\nSec-WebSocket-Protocol: ${'p,'.repeat(3000)}p\r\n\r\n`),
      base.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate; x="%\r\n\r\n'),
      base.replace('\r\n\r\n', `\r\nX-Junk: ${'j'.repeat(20_000)}\r\n\r\n`),
    ];
    const statuses = [];
    for (const head of variants) statuses.push(await statusOf(server.port, head));
    expect(server.alive(), server.log()).toBe(true);
    for (const status of statuses) expect([101, 400, 431]).toContain(status);
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses[5]).toBe(431);
  });

  it('answers deeply nested JSON and huge fields with a short coded error, and stays up', async () => {
    const client = await record(server.wsUrl);
    await client.next(isType('snapshot'));
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const frames = [
      `{"type":${deep(6000)}}`,
      `{"type":"set-lr","lr":${deep(6000)}}`,
      `{"type":"pause","id":${deepObject(5000)}}`,
      `{"type":"set-source","source":${deepObject(5000)}}`,
      JSON.stringify({ type: 'set-optimizer', optimizer: 'x'.repeat(60_000) }),
      JSON.stringify({ type: 'x'.repeat(60_000) }),
      JSON.stringify({ type: 'pause', ['k'.repeat(60_000)]: 1 }),
    ];
    const replies: Record<string, unknown>[] = [];
    for (const frame of frames) {
      const mark = client.messages.length;
      client.send(frame);
      replies.push(await client.next(isType('error'), 10_000, mark));
    }
    expect(server.alive(), server.log()).toBe(true);
    for (const reply of replies) {
      expect(parseServerMessage(reply)).toBeDefined();
      expect((reply['message'] as string).length).toBeLessThanOrEqual(300);
    }
    client.ws.close();
  });
});

describe('dashboard server: at the file-descriptor limit (child process, ulimit -n 256)', () => {
  it('answers GET / and /healthz with 503 instead of dying, and recovers when descriptors free up', async () => {
    const server = await startServerProcess({ port: 0, rate: 500 }, 256);
    try {
      const keepAlive = (target: string) =>
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
      const page = await open(server.port);
      const health = await open(server.port);
      // One exchange on each first, so the server has accepted both connections
      // before its descriptors run out.
      expect(await exchange(page, keepAlive('/healthz'))).toBe(200);
      expect(await exchange(health, keepAlive('/healthz'))).toBe(200);
      const exhausted = await server.ask('exhaust', 'exhausted');
      expect(exhausted).toMatch(/EMFILE/);
      const pageStatus = await exchange(page, keepAlive('/'));
      const healthStatus = await exchange(health, keepAlive('/healthz'));
      await server.ask('release', 'released');
      expect(server.alive(), server.log()).toBe(true);
      expect(pageStatus).toBe(503);
      expect([200, 503]).toContain(healthStatus);
      page.destroy();
      health.destroy();
      expect((await fetch(server.url)).status).toBe(200);
      expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('dashboard server: HTTP surface', () => {
  let server: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(() => server.close());

  it('sends CSP with frame-ancestors none, X-Frame-Options and nosniff on every response', async () => {
    for (const path of ['/', '/healthz', '/missing']) {
      const response = await fetch(new URL(path, server.url));
      expect(response.headers.get('content-security-policy'), path).toMatch(
        /frame-ancestors 'none'/,
      );
      expect(response.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('answers only GET and HEAD (405 with Allow otherwise); /healthz only for an allowed Host', async () => {
    for (const path of ['/', '/healthz', '/index.html']) {
      const response = await fetch(new URL(path, server.url), { method: 'POST', body: 'x' });
      expect(response.status, path).toBe(405);
      expect(response.headers.get('allow'), path).toBe('GET, HEAD');
    }
    expect((await fetch(new URL('/healthz', server.url), { method: 'DELETE' })).status).toBe(405);
    const head = await fetch(new URL('/healthz', server.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const call = httpRequest(
          { host: '127.0.0.1', port: server.port, path: '/healthz', headers: { host } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        call.on('error', reject);
        call.end();
      });
    expect(await withHost('evil.example')).toBe(403);
    expect(await withHost(`evil.example:${server.port}`)).toBe(403);
    expect(await withHost(`127.0.0.1:${server.port}`)).toBe(200);
    expect(await withHost(`localhost:${server.port}`)).toBe(200);
  });
});

describe('dashboard server: options', () => {
  it('refuses a control token longer than the protocol carries (256), saying so', async () => {
    await expect(start({ token: 'x'.repeat(257) })).rejects.toThrow(
      /token must be 1 to 256 characters.*got 257/,
    );
    const server = await start({ token: 'y'.repeat(256) });
    try {
      const client = await record(server.wsUrl);
      client.send({ type: 'pause', id: 'p', token: 'y'.repeat(256) });
      expect(await client.next((m) => m['id'] === 'p')).toMatchObject({ type: 'command-ack' });
      client.ws.close();
    } finally {
      await server.close();
    }
  });
});

describe('dashboard server: limits across connections', () => {
  it('caps WebSocket connections per address (HTTP 429 beyond it) and admits again once one closes', async () => {
    const server = await start({ maxConnectionsPerAddress: 8 });
    try {
      const clients = await Promise.all(Array.from({ length: 8 }, () => record(server.wsUrl)));
      await expect(record(server.wsUrl)).rejects.toThrow('HTTP 429');
      clients[0]!.ws.close();
      await clients[0]!.closed;
      const deadline = Date.now() + 5000;
      let admitted: Awaited<ReturnType<typeof record>> | undefined;
      while (!admitted && Date.now() < deadline) {
        admitted = await record(server.wsUrl).catch(() => undefined);
        if (!admitted) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(admitted).toBeDefined();
      admitted?.ws.close();
      for (const c of clients) c.ws.close();
    } finally {
      await server.close();
    }
  });

  it('closes a connection that floods pings (they bypass the message limit otherwise)', async () => {
    const server = await start();
    try {
      // Raw frames, a few at a time: ws itself terminates a peer with too many pongs
      // pending, but a steady stream under that limit was unbounded.
      const socket = await open(server.port);
      expect(await exchange(socket, upgrade('/ws'))).toBe(101);
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
      });
      // An empty, masked ping frame: FIN + opcode 9, mask bit + length 0, mask key.
      const ping = Buffer.from([0x89, 0x80, 1, 2, 3, 4]);
      for (let batch = 0; batch < 40 && !socket.destroyed; batch++) {
        socket.write(Buffer.concat(Array.from({ length: 5 }, () => ping)));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const closeFrame = Buffer.from([0x88]);
      const deadline = Date.now() + 10_000;
      const has4009 = () => {
        const at = received.lastIndexOf(closeFrame);
        return at >= 0 && received.readUInt16BE(at + 2) === 4009;
      };
      while (!has4009() && !socket.destroyed && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(has4009()).toBe(true);
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('limits how fast one address can open connections (each one costs a snapshot)', async () => {
    const server = await start({
      maxConnectionsPerAddress: 1000,
      connectRate: { capacity: 5, perSecond: 1 },
    });
    try {
      const verdicts: string[] = [];
      const started = Date.now();
      for (let i = 0; i < 30; i++) {
        const client = await record(server.wsUrl).catch((error: Error) => error.message);
        if (typeof client === 'string') verdicts.push(client);
        else {
          verdicts.push('open');
          client.ws.terminate();
        }
      }
      const seconds = (Date.now() - started) / 1000;
      const opened = verdicts.filter((v) => v === 'open').length;
      expect(verdicts.filter((v) => v !== 'open' && v !== 'HTTP 429')).toEqual([]);
      // burst 5, then 1 a second, however the connections are spread
      expect(opened).toBeGreaterThanOrEqual(5);
      expect(opened).toBeLessThanOrEqual(5 + Math.ceil(seconds));
    } finally {
      await server.close();
    }
  });

  it('limits token guessing per address across reconnects', async () => {
    const server = await start({ token: 'right' });
    try {
      const verdicts: string[] = [];
      const started = Date.now();
      for (let round = 0; round < 15; round++) {
        const client = await record(server.wsUrl);
        for (let i = 0; i < 5; i++) client.send({ type: 'pause', id: `g${i}`, token: `guess${i}` });
        for (let i = 0; i < 5; i++) {
          const reply = await client.next((m) => m['id'] === `g${i}`);
          verdicts.push(reply['code'] as string);
        }
        client.ws.close();
      }
      const seconds = (Date.now() - started) / 1000;
      const checked = verdicts.filter((code) => code === 'ADAMFLOW_ERR_UNAUTHORIZED').length;
      const limited = verdicts.filter((code) => code === 'ADAMFLOW_ERR_RATE_LIMITED').length;
      expect(checked + limited).toBe(75);
      // burst 10, then 1 per second
      expect(checked).toBeLessThanOrEqual(10 + Math.ceil(seconds));
    } finally {
      await server.close();
    }
  });

  it('bounds the log: 300 refused upgrades with an 8 KB Origin log a few short lines', async () => {
    const lines: string[] = [];
    const server = await start({ log: (line) => lines.push(line) });
    try {
      const origin = `http://evil.example/${'o'.repeat(8 * 1024)}`;
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from({ length: 30 }, () =>
            statusOf(
              server.port,
              upgrade('/ws').replace('\r\n\r\n', `\r\nOrigin: ${origin}\r\n\r\n`),
            ),
          ),
        );
      }
      const bytes = lines.reduce((sum, line) => sum + line.length, 0);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThanOrEqual(20);
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(300);
      expect(bytes).toBeLessThan(6000);
    } finally {
      await server.close();
    }
  });

  it('a flood of snapshot requests and commands within the per-connection limits does not starve a viewer', async () => {
    const server = await start({
      maxConnectionsPerAddress: 1000,
      connectRate: { capacity: 1000, perSecond: 1000 },
    });
    const viewer = await record(server.wsUrl);
    const rate = async (ms: number) => {
      const mark = viewer.messages.length;
      const from = Date.now();
      await new Promise((resolve) => setTimeout(resolve, ms));
      const seconds = (Date.now() - from) / 1000;
      const received = viewer.messages.slice(mark);
      const changes = received.filter(isType('state-changed'));
      return {
        seconds,
        updates: received.filter(isType('params-update')).length / seconds,
        states: changes.length / seconds,
      };
    };
    const flood = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        FLOOD,
        new URL('../node_modules/ws/wrapper.mjs', import.meta.url).href,
        server.wsUrl,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const said = (word: string) =>
      new Promise<void>((resolve, reject) => {
        flood.stdout!.on('data', (chunk: Buffer) => {
          if (String(chunk).includes(word)) resolve();
        });
        flood.once('exit', (code) => reject(new Error(`flood exited early with ${code}`)));
      });
    try {
      // The baseline: the same machine (the tests may share it with other work) and the
      // same clients connected, idle; so the comparison is about their messages alone.
      await said('connected');
      const baseline = await rate(2000);
      flood.stdin!.write('go\n');
      await said('flooding');
      // Measure while the flood runs (it runs for 7 s after it announces itself).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = server.stats();
      const during = await rate(3000);
      const after = server.stats();
      console.log(
        `[flood] viewer: ${baseline.updates.toFixed(1)} updates/s before, ${during.updates.toFixed(1)} during; ${during.states.toFixed(1)} state changes/s`,
      );
      // The server's work is bounded by its budgets, whatever the clients ask:
      // unprotected, it served and applied every one (~540 a second each).
      const served = after.snapshotsServed - before.snapshotsServed;
      const applied = after.commandsApplied - before.commandsApplied;
      expect(served).toBeLessThanOrEqual(20 + 10 * during.seconds);
      expect(applied).toBeLessThanOrEqual(40 + 20 * during.seconds);
      // State changes are merged between ticks, so there are no more of them than ticks
      // (30 Hz): unprotected, a viewer got 110 a second. Counted, not timed: a loaded
      // machine delivers the worker's reports in bursts, and a tick that carries a burst
      // keeps its changes and updates in order (two changes 0 ms apart), but the count
      // over the window stays within the ticks.
      expect(during.states).toBeLessThanOrEqual(1000 / 33 + 2);
      // So a viewer keeps most of its updates: unprotected it got 0.3/s of 30/s (and
      // 110 state changes/s).
      expect(during.updates).toBeGreaterThan(baseline.updates / 4);
      viewer.ws.close();
    } finally {
      flood.kill('SIGKILL');
      await server.close();
    }
  });
});

// 60 connections asking a snapshot 9 times a second and 60 sending set-lr 9 times a
// second: each one within the per-connection limit (10/s). Unprotected, that is 540
// snapshots (~30 MB) and 540 state broadcasts to every client a second. Runs 7 s.
const FLOOD = `
const [wsUrl, url] = process.argv.slice(1);
const { default: WebSocket } = await import(wsUrl);
const sockets = await Promise.all(Array.from({ length: 120 }, () => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.on('error', () => resolve(null));
  ws.on('open', () => resolve(ws));
  ws.on('message', () => {});
})));
const open = sockets.filter(Boolean);
process.stdout.write('connected ' + open.length + '\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdout.write('flooding\\n');
let i = 0;
const timer = setInterval(() => {
  i++;
  for (const [k, ws] of open.entries()) {
    if (ws.readyState !== 1) continue;
    if (k % 2 === 0) ws.send('{"type":"snapshot-request"}');
    else ws.send(JSON.stringify({ type: 'set-lr', lr: i % 2 ? 0.01 : 0.02 }));
  }
}, 111);
setTimeout(() => { clearInterval(timer); for (const ws of open) ws.terminate(); process.exit(0); }, 7000);
`;
