// Snapshot requests from a client whose send buffer is above the high-water mark: they
// wait (one per client) until the buffer drains, and then one snapshot, current at
// that moment, answers them all. Without this, a session whose snapshot is larger than
// the mark could reset a viewer into a loop: the snapshot puts it over the mark, frames
// are skipped, it sees a gap, asks again, and the server queues snapshot after snapshot.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  applyServerMessage,
  emptySessionView,
  type ParamsUpdate,
  type SessionView,
  snapshotOfView,
} from '@adamflow/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ClientMessages } from './client-messages.js';
import { type Client, ClientRegistry, registryOptions } from './client-registry.js';
import { ControlToken } from './control-token.js';
import { type Recorder, record } from './test-client.js';

const PARAMS = 2500;
const HIGH_WATER_MARK = 64 * 1024;
const REQUESTS = 100;
const ORDINARY = 5;
// ~45 KB a frame at 50 Hz: the paused viewer fills loopback's socket buffers (~4 MB)
// and the mark in a few seconds.
const INTERVAL_MS = 20;
// Generous: the bounds only catch a hang on a busy machine.
const WAIT_MS = 60_000;

async function waitFor(condition: () => boolean): Promise<boolean> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Node's socket under a `ws` WebSocket (paused to stop reading, as a busy tab would). */
function tcpOf(ws: WebSocket): { pause(): void; resume(): void } {
  return (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
}

let seq = 0;
const frame = (step: number): ParamsUpdate => ({
  type: 'params-update',
  seq: ++seq,
  time: Date.now(),
  step,
  samples: step,
  params: Array.from({ length: PARAMS }, (_, j) => Math.sin(step + j) * 1.2345678),
  loss: 1 / step,
  lossEma: 1 / step,
  samplesPerSecond: 1000,
  truth: null,
  recent: { x: [step], y: [step] },
});

describe('snapshot requests from a client above the high-water mark', () => {
  it('wait for the buffer to drain, one per client, answered by one current snapshot', () => {
    const sent: unknown[] = [];
    let backedUp = true;
    let version = 0;
    const client = { ws: { readyState: WebSocket.OPEN } } as unknown as Client;
    const messages = new ClientMessages({
      registry: {
        send: (_client, message) => void sent.push(message),
        backedUp: () => backedUp,
        mayCheckToken: () => true,
        tokenFailed: () => {},
      },
      token: new ControlToken(undefined),
      snapshotBudget: { capacity: 1000, perSecond: 1000 },
      commandBudget: { capacity: 1, perSecond: 1 },
      snapshot: () => Buffer.from(`snapshot ${version}`),
      command: async () => ({ ok: true }),
    });
    return (async () => {
      for (let i = 0; i < 10; i++)
        messages.handle(client, Buffer.from('{"type":"snapshot-request"}'), false);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const whileBackedUp = sent.length;
      version = 7;
      backedUp = false;
      await waitFor(() => sent.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect({
        whileBackedUp,
        sent: sent.map(String),
        deferred: messages.snapshotsDeferred,
        folded: messages.snapshotsFolded,
      }).toEqual({ whileBackedUp: 0, sent: ['snapshot 7'], deferred: 1, folded: 9 });
      // Drained, the next request is answered at once.
      messages.handle(client, Buffer.from('{"type":"snapshot-request"}'), false);
      expect(sent.map(String)).toEqual(['snapshot 7', 'snapshot 7']);
    })();
  });

  describe(`a session of ${PARAMS} parameters, mark ${HIGH_WATER_MARK / 1024} KiB`, () => {
    let http: Server;
    let registry: ClientRegistry;
    let messages: ClientMessages;
    let view: SessionView;
    let cached: { seq: number; data: Buffer } | undefined;
    let ticker: ReturnType<typeof setInterval> | undefined;
    const clients: Client[] = [];
    let url = '';

    const snapshotData = () => {
      if (cached?.seq !== view.seq) {
        const snapshot = snapshotOfView(view, { seq: view.seq, time: Date.now(), clients: 1 });
        cached = { seq: view.seq, data: Buffer.from(JSON.stringify(snapshot)) };
      }
      return cached.data;
    };

    beforeAll(async () => {
      view = applyServerMessage(emptySessionView(), {
        type: 'state-changed',
        seq: ++seq,
        time: Date.now(),
        reason: 'reset',
        config: {
          source: 'seed',
          model: 'linear-regression',
          features: PARAMS - 1,
          optimizer: 'adam',
          lr: 0.01,
          batchSize: 1,
          rate: 1000,
          paused: false,
        },
        truth: null,
        params: new Array<number>(PARAMS).fill(0),
        step: 0,
        samples: 0,
        diverged: null,
      });
      // A full history: the snapshot is several times the mark.
      for (let step = 1; step <= 1000; step++) view = applyServerMessage(view, frame(step));
      registry = new ClientRegistry(
        registryOptions(
          {
            highWaterMark: HIGH_WATER_MARK,
            stuckTimeoutMs: 10 * WAIT_MS,
            heartbeatMs: 10 * WAIT_MS,
            rateLimit: { capacity: 1000, perSecond: 1000 },
          },
          64,
          () => {},
        ),
        (client, data, isBinary) => messages.handle(client, data, isBinary),
      );
      messages = new ClientMessages({
        registry,
        token: new ControlToken(undefined),
        snapshotBudget: { capacity: 2000, perSecond: 2000 },
        commandBudget: { capacity: 1, perSecond: 1 },
        snapshot: () => snapshotData(),
        command: async () => ({ ok: false, message: 'no trainer here' }),
      });
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
      http = createServer();
      http.on('upgrade', (request, socket: Socket, head) => {
        if (registry.admit(socket)) return void socket.destroy();
        wss.handleUpgrade(request, socket, head, (ws) => {
          const client = registry.add(ws, socket);
          clients.push(client);
          registry.send(client, snapshotData());
        });
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const address = http.address() as { port: number };
      url = `ws://127.0.0.1:${address.port}/ws`;
      let step = view.step;
      ticker = setInterval(() => {
        const update = frame(++step);
        view = applyServerMessage(view, update);
        registry.broadcast(update);
      }, INTERVAL_MS);
    });

    afterAll(async () => {
      clearInterval(ticker);
      registry.closeAll();
      registry.terminateAll();
      await new Promise((resolve) => http.close(resolve));
    });

    it('a paused viewer asking again and again gets one snapshot once it reads, the others every frame', async () => {
      const seqsOf = (viewer: Recorder) =>
        viewer.messages.filter((m) => m['type'] === 'params-update').map((m) => m['seq'] as number);
      const snapshotsOf = (viewer: Recorder) =>
        viewer.messages.filter((m) => m['type'] === 'snapshot');
      const ordinary = await Promise.all(Array.from({ length: ORDINARY }, () => record(url)));
      const slow = await record(url);
      try {
        tcpOf(slow.ws).pause();
        await waitFor(() => clients.length === ORDINARY + 1);
        const slowClient = clients[ORDINARY]!;
        const filled = await waitFor(() => registry.backedUp(slowClient));
        for (let i = 0; i < REQUESTS; i++) slow.send({ type: 'snapshot-request' });
        const heard = await waitFor(
          () => messages.snapshotsDeferred + messages.snapshotsFolded === REQUESTS,
        );
        const servedWhileFull = messages.snapshotsServed;
        tcpOf(slow.ws).resume();
        const answered = await waitFor(() => snapshotsOf(slow).length >= 2);
        // Time for any further (wrong) snapshot to arrive behind it.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const sizes = snapshotsOf(slow).map((m) => JSON.stringify(m).length);
        console.log(
          `snapshot requests: ${REQUESTS} asked while above the mark, ` +
            `${messages.snapshotsServed} served (snapshot ${(sizes[0]! / 1024).toFixed(0)} KiB, ` +
            `${messages.snapshotsFolded} folded), ${registry.stats().skippedFrames} frames skipped`,
        );
        const gaps = ordinary.map((viewer) => {
          const seqs = seqsOf(viewer);
          return seqs.slice(1).filter((s, i) => s !== seqs[i]! + 1).length;
        });
        expect({ filled, heard, answered, servedWhileFull }).toEqual({
          filled: true,
          heard: true,
          answered: true,
          servedWhileFull: 0,
        });
        expect({
          snapshots: snapshotsOf(slow).length,
          served: messages.snapshotsServed,
          deferred: messages.snapshotsDeferred,
        }).toEqual({ snapshots: 2, served: 1, deferred: 1 });
        expect(sizes[0]).toBeGreaterThan(2 * HIGH_WATER_MARK);
        // The others were sent every frame, in order, the whole time.
        expect(gaps).toEqual(new Array(ORDINARY).fill(0));
        expect(Math.min(...ordinary.map((viewer) => seqsOf(viewer).length))).toBeGreaterThan(50);
      } finally {
        for (const viewer of [...ordinary, slow]) viewer.ws.terminate();
      }
    });
  });
});
