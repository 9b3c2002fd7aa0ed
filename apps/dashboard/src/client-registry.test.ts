// The registry's broadcast writes one pre-framed buffer to every socket: the frames
// must be what ws itself would send, arrive whole and in order next to ws's own sends,
// and count against the high-water mark. Real ws clients on 127.0.0.1, port 0.
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type Client, ClientRegistry, registryOptions, textFrame } from './client-registry.js';

const WAIT_MS = 20_000;

// ws's own framing (its Sender, exported at runtime though not in its types): the reference.
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
};

/** ws's framing of a final, unmasked text message. */
function wsFrame(payload: Buffer): Buffer {
  const options = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };
  return Buffer.concat(Sender.frame(payload, options));
}

describe('textFrame', () => {
  it('frames every length class exactly as ws does', () => {
    // 7-bit, 16-bit and 64-bit lengths, at and around each boundary.
    const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000];
    const ours = lengths.map((length) => textFrame(Buffer.alloc(length, 0x61)));
    const theirs = lengths.map((length) => wsFrame(Buffer.alloc(length, 0x61)));
    expect(ours.map((frame) => frame.toString('hex'))).toEqual(
      theirs.map((frame) => frame.toString('hex')),
    );
  });
});

describe('ClientRegistry broadcast', () => {
  let http: Server | undefined;
  let registry: ClientRegistry | undefined;
  const sockets: WebSocket[] = [];
  const members: Client[] = [];
  afterEach(async () => {
    members.length = 0;
    for (const ws of sockets.splice(0)) ws.terminate();
    registry?.terminateAll();
    registry?.closeAll();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  async function serve(highWaterMark: number): Promise<string> {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const current = new ClientRegistry(
      registryOptions({ highWaterMark, heartbeatMs: 60_000 }, 100, () => {}),
      () => {},
    );
    registry = current;
    http = createServer();
    http.on('upgrade', (request, socket: Socket, head) => {
      expect(current.admit(socket)).toBeUndefined();
      wss.handleUpgrade(request, socket, head, (ws) =>
        members.push(current.add(ws, socket, 'topic')),
      );
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  }

  async function join(url: string): Promise<WebSocket> {
    const ws = new WebSocket(url);
    sockets.push(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const deadline = Date.now() + WAIT_MS;
    while (members.length < sockets.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return ws;
  }

  it('delivers every broadcast whole and in order, between ws sends, to every client', async () => {
    const url = await serve(64 * 1024 * 1024);
    const clients = [await join(url), await join(url), await join(url)];
    const received = clients.map(() => [] as string[]);
    for (const [i, ws] of clients.entries()) {
      ws.on('message', (data) => received[i]!.push(String(data)));
    }
    const sent: string[] = [];
    // Sizes in every length class; a direct send (ws's path) after each broadcast.
    for (const [i, size] of [10, 200, 70_000, 3, 126, 65_536].entries()) {
      const message = JSON.stringify({ i, pad: 'x'.repeat(size) });
      registry!.broadcast(Buffer.from(message), 'topic');
      sent.push(message);
      const direct = { direct: i };
      for (const member of members) registry!.send(member, direct);
      sent.push(JSON.stringify(direct));
    }
    const deadline = Date.now() + WAIT_MS;
    while (received.some((list) => list.length < sent.length) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(received).toEqual(clients.map(() => sent));
  });

  it('counts what the kernel has not taken yet against the high-water mark', async () => {
    const highWaterMark = 64 * 1024;
    const url = await serve(highWaterMark);
    const slow = await join(url);
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const message = Buffer.from(JSON.stringify({ pad: 'x'.repeat(100_000) }));
    // Bounded: loopback's socket buffers take a few MiB at most, 50 MB is far past them.
    for (let i = 0; i < 500 && registry!.stats().skippedFrames === 0; i++) {
      registry!.broadcast(message, 'topic');
    }
    const stats = registry!.stats();
    expect(stats.skippedFrames).toBeGreaterThan(0);
    // Never more than the mark plus one frame.
    expect(stats.maxBufferedAmount).toBeGreaterThan(highWaterMark);
    expect(stats.maxBufferedAmount).toBeLessThanOrEqual(highWaterMark + message.length + 10);
  });
});
