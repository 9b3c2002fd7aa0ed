// Fan-out under churn: 3 gateways × 100 viewers on one session while updates are
// published; viewers dropped and reconnected at random (seeded), one gateway closed
// mid-run and its viewers moved to the others. Every viewer must end at the last
// `seq` having applied each frame exactly once (or after an explicit reset, a fresh
// snapshot, from the snapshot's `seq` on). A gateway that ignores the resume
// position must make the same checker report a gap.
import { linearSpec } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Gateway, startGateway } from './gateway.js';
import { type NatsContext, openNats } from './nats-context.js';
import { encodeUpdate, openUpdatesStream } from './params-updates.js';
import { produce } from './produce.js';
import { sessionNames } from './session-names.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

const GATEWAYS = 3;
const CLIENTS_PER_GATEWAY = 100;
const UPDATES = 200;
// Generous: the bounds only catch a hang on a busy machine.
const WAIT_MS = 60_000;

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'gateway-fanout-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

/** What a viewer applied, in order: a snapshot (a reset to its `seq`) or a frame. */
type Applied = { kind: 'snapshot' | 'frame'; seq: number };

interface Finding {
  client: number;
  /** The position before the offending frame. */
  at: number;
  seq: number;
}

/** Gaps, duplicates and viewers short of `last` in what each viewer applied. */
function checkApplied(logs: Applied[][], last: number) {
  const gaps: Finding[] = [];
  const duplicates: Finding[] = [];
  const short: Array<{ client: number; at: number }> = [];
  let resets = 0;
  logs.forEach((log, client) => {
    let at = -1;
    for (const { kind, seq } of log) {
      if (kind === 'snapshot') {
        if (at >= 0) resets++;
        at = seq;
        continue;
      }
      if (at < 0 || seq > at + 1) gaps.push({ client, at, seq });
      else if (seq <= at) duplicates.push({ client, at, seq });
      at = Math.max(at, seq);
    }
    if (at !== last) short.push({ client, at });
  });
  return { gaps, duplicates, short, resets };
}

/** A small seeded generator (mulberry32), so a failing run's choices can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Publishes updates number `from` to `to` as a trainer would; stream seq n is update n. */
async function publish(session: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) {
    const update = encodeUpdate({
      format: 'adamflow.params-update',
      version: 1,
      session,
      epoch: 'input',
      seq: n * 4,
      samples: n * 1024,
      step: n * 1024,
      lossEma: 1 / n,
      params: [n, n + 0.5],
    });
    await nats.js.publish(sessionNames(session).updatesSubject, update);
  }
}

/**
 * A raw viewer that reconnects with `?seq=S&epoch=E` as the protocol's client does,
 * and records every frame it applies (duplicates included: the check is on them).
 */
class ChurnClient {
  readonly applied: Applied[] = [];
  ws: WebSocket | undefined;
  private last = -1;
  private epoch: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  moved = false;

  constructor(
    private readonly session: string,
    public gateway: number,
    private readonly urls: () => Array<string | undefined>,
    private readonly delay: () => number,
    private readonly stopped: () => boolean,
  ) {}

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  get position(): number {
    return this.last;
  }

  connect(): void {
    const urls = this.urls();
    if (urls[this.gateway] === undefined) {
      // Its gateway is gone: move to a live one.
      const live = urls.flatMap((url, i) => (url === undefined ? [] : [i]));
      this.gateway = live[this.gateway % live.length]!;
      this.moved = true;
    }
    const resume =
      this.epoch !== undefined && this.last >= 0
        ? `&seq=${this.last}&epoch=${encodeURIComponent(this.epoch)}`
        : '';
    const ws = new WebSocket(`${urls[this.gateway]}?session=${this.session}${resume}`);
    this.ws = ws;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; seq?: number; epoch?: string };
      if (typeof frame.seq !== 'number') return;
      if (frame.type === 'snapshot') {
        this.epoch = frame.epoch;
        this.applied.push({ kind: 'snapshot', seq: frame.seq });
      } else {
        this.applied.push({ kind: 'frame', seq: frame.seq });
      }
      this.last = frame.seq;
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws !== ws || this.stopped()) return;
      this.timer = setTimeout(() => this.connect(), this.delay());
    });
  }

  /** Drops the connection from the client's side; it reconnects after a random delay. */
  drop(): void {
    this.ws?.terminate();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.ws?.terminate();
  }
}

/**
 * Runs the churn scenario on a fresh session and returns what every viewer applied,
 * the last seq published and the gateways' counters.
 */
async function churn(session: string, seed: number, broken: boolean) {
  await produce(nats, { session, spec: linearSpec({ seed: 1 }), samples: 256 });
  await openUpdatesStream(nats, sessionNames(session));
  await publish(session, 1, 5);
  const rand = random(seed);
  const gateways: Gateway[] = [];
  const clients: ChurnClient[] = [];
  const urls: Array<string | undefined> = [];
  let stopped = false;
  try {
    for (let g = 0; g < GATEWAYS; g++) {
      const gateway = await startGateway({
        nats,
        port: 0,
        // All viewers come from 127.0.0.1: lift the per-address limits.
        maxConnectionsPerAddress: 10_000,
        connectRate: { capacity: 10_000, perSecond: 10_000 },
        brokenResumeForTests: broken,
      });
      gateways.push(gateway);
      urls.push(gateway.wsUrl);
    }
    for (let i = 0; i < GATEWAYS * CLIENTS_PER_GATEWAY; i++) {
      const client = new ChurnClient(
        session,
        i % GATEWAYS,
        () => urls,
        () => 20 + Math.floor(rand() * 200),
        () => stopped,
      );
      clients.push(client);
      client.connect();
    }
    await waitFor(() => clients.every((c) => c.position >= 5), 'every viewer has its snapshot');

    // Churn while publishing: a few random viewers dropped every ~30 ms, and the
    // last gateway closed halfway through.
    let publishing = true;
    const chaos = (async () => {
      while (publishing) {
        for (let k = 0; k < 4; k++) {
          const client = clients[Math.floor(rand() * clients.length)]!;
          if (client.open) client.drop();
        }
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    const half = Math.floor(UPDATES / 2);
    for (let n = 6; n <= UPDATES; n++) {
      await publish(session, n, n);
      if (n === half) {
        urls[GATEWAYS - 1] = undefined;
        await gateways[GATEWAYS - 1]!.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    publishing = false;
    await chaos;
    // Once all are back, a last few updates reach everyone live.
    await waitFor(() => clients.every((c) => c.open), 'every viewer reconnected');
    const last = UPDATES + 5;
    await publish(session, UPDATES + 1, last);
    await waitFor(() => clients.every((c) => c.position >= last), 'every viewer got the end');
    return {
      logs: clients.map((c) => c.applied),
      last,
      moved: clients.filter((c) => c.moved).length,
      stats: gateways.map((g) => g.stats()),
    };
  } finally {
    stopped = true;
    for (const client of clients) client.stop();
    for (const gateway of gateways) await gateway.close();
  }
}

describe('gateway fan-out under churn', () => {
  it('3 gateways × 100 viewers, random drops and a gateway closed: every viewer ends at the last seq with no gap and no duplicate', async () => {
    const run = await churn('fanout', 20261129, false);
    const found = checkApplied(run.logs, run.last);
    const resumed = run.stats.reduce((sum, s) => sum + s.resumed, 0);
    const skippedFrames = run.stats.reduce((sum, s) => sum + s.skippedFrames, 0);
    expect({
      clients: run.logs.length,
      gaps: found.gaps.slice(0, 5),
      duplicates: found.duplicates.slice(0, 5),
      short: found.short.slice(0, 5),
      skippedFrames,
    }).toEqual({ clients: 300, gaps: [], duplicates: [], short: [], skippedFrames: 0 });
    // The churn happened: viewers resumed, and the closed gateway's viewers moved.
    expect(resumed).toBeGreaterThan(50);
    expect(run.moved).toBeGreaterThanOrEqual(CLIENTS_PER_GATEWAY / 2);
  });

  it('a gateway that ignores the resume position makes the same checker report gaps', async () => {
    const run = await churn('fanout-broken', 20261129, true);
    const found = checkApplied(run.logs, run.last);
    expect(found.gaps.length).toBeGreaterThan(0);
    // Every viewer still got the end: only the gaps tell the broken gateway apart.
    expect(found.short).toEqual([]);
  });
});
