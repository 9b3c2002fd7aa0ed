// A slow viewer among ordinary ones, on one gateway fed at a steady rate with frames of
// ~20 KB. The slow one is the protocol's own client, whose socket stops reading as soon
// as it opens. The gateway must skip frames for it, then cut it with 4008 once stuck,
// holding at most a high-water mark of bytes for it; the client must come back with
// `?seq&epoch` and end at the last seq with no gap and no duplicate (or after an
// explicit reset: a fresh snapshot). The ordinary viewers measure each frame's latency
// (publish → receipt): their p99 while the slow one is stuck, cut and resuming must stay
// within a margin of their p99 without it (before it joins and once it is back), in the
// same run.
import { connect } from '@adamflow/protocol';
import { linearSpec } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type GatewayOptions, startGateway } from './gateway.js';
import { type NatsContext, openNats } from './nats-context.js';
import { encodeUpdate, openUpdatesStream } from './params-updates.js';
import { produce } from './produce.js';
import { sessionNames } from './session-names.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

const VIEWERS = 20;
// ~20 KB a frame at 50 Hz: 1 MB/s per viewer, so that the slow viewer fills loopback's
// socket buffers (~4 MB) and the high-water mark in a few seconds.
const PARAMS = 1000;
const INTERVAL_MS = 20;
const BASELINE_FRAMES = 100;
// Frames published after the slow viewer is back and caught up: the second half of the
// baseline, so that the baseline brackets the slow phase: whatever else changes over a
// run (the machine's load, the view's history) weighs on both halves alike.
const AFTER_FRAMES = 100;
// The most frames a run publishes: a gateway that never cuts ends the run here.
const MAX_FRAMES = 600;
// A resume replays at most a high-water mark of frames: this one holds ~100 of them (2 s),
// several times what is missed between the first skipped frame and the reconnect (a
// reset would send a whole snapshot instead).
const HIGH_WATER_MARK = 2 * 1024 * 1024;
const STUCK_MS = 250;
// The cut comes on the first broadcast after STUCK_MS above the mark; a busy machine
// may run that broadcast late (a starved event loop, a GC pause), so the bound is loose.
const CUT_SLACK_MS = 3000;
// Generous: the bounds only catch a hang on a busy machine.
const WAIT_MS = 30_000;
// The others' p99 with the slow viewer may exceed their p99 without it by this much, or
// double it. Each phase lasts seconds, so its p99 is about its worst frame: one stall of
// a busy 2-core machine (up to ~100 ms seen at load 6-9, in either phase) sets it. What
// this must catch costs far more: a gateway that fed a cut viewer snapshot after
// snapshot (a resume that ignored its position) took the others' p99 to 1.2 s.
const P99_SLACK_MS = 100;

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'slow-viewer-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

/** A frame as a viewer saw it: its type, `seq`, size, and when it came (performance.now()). */
interface Seen {
  type: string;
  seq: number;
  bytes: number;
  at: number;
}

/** Type and seq from a frame's head (they come first), without parsing its ~40 KB. */
function seen(data: Buffer): Seen {
  const head = data.subarray(0, 96).toString();
  const type = /"type":"([a-z-]+)"/.exec(head)?.[1] ?? '?';
  const seq = Number(/"seq":(\d+)/.exec(head)?.[1] ?? Number.NaN);
  return { type, seq, bytes: data.length, at: performance.now() };
}

/** An ordinary viewer: reads everything, records what came and when. */
function openOrdinary(url: string): Promise<{ ws: WebSocket; seen: Seen[] }> {
  const ws = new WebSocket(url);
  const frames: Seen[] = [];
  ws.on('message', (data: Buffer) => frames.push(seen(data)));
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, seen: frames }));
    ws.once('error', reject);
  });
}

/** A socket of the slow client, as the protocol's client made it, and what it saw. */
interface SlowSocket {
  url: string;
  ws: WebSocket;
  seen: Seen[];
  closeCode?: number;
}

/** `ws`'s WebSocket, recording each socket the protocol's client makes. */
function recordingWebSocket(sockets: SlowSocket[]) {
  return class RecordingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      const socket: SlowSocket = { url, ws: this, seen: [] };
      sockets.push(socket);
      // The first socket stops reading as soon as it opens, its snapshot unread: reading
      // a large one would let the kernel grow its receive buffer.
      if (sockets.length === 1) this.once('open', () => tcpOf(this).pause());
      this.on('message', (data: Buffer) => socket.seen.push(seen(data)));
      this.on('close', (code) => {
        socket.closeCode = code;
      });
    }
  };
}

/** Node's socket under a `ws` WebSocket (paused to stop reading, as a stalled tab would). */
function tcpOf(ws: WebSocket): { pause(): void; resume(): void } {
  return (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
}

/** Publishes an update every INTERVAL_MS (on a schedule, not drifting), stamping each. */
class Publisher {
  /** When each stream seq was published (just before the publish call). */
  readonly stamps = new Map<number, number>();
  last = 0;
  count = 0;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private readonly session: string,
    private readonly onTick: () => void,
  ) {
    this.done = this.run();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }

  private async run(): Promise<void> {
    const subject = sessionNames(this.session).updatesSubject;
    const start = performance.now();
    while (!this.stopped && this.count < MAX_FRAMES) {
      const n = ++this.count;
      const update = encodeUpdate({
        format: 'adamflow.params-update',
        version: 1,
        session: this.session,
        epoch: 'input',
        seq: n * 4,
        samples: n * 1024,
        step: n * 1024,
        lossEma: 1 / n,
        params: Array.from({ length: PARAMS }, (_, j) => Math.sin(n + j)),
      });
      const at = performance.now();
      const ack = await nats.js.publish(subject, update);
      this.stamps.set(ack.seq, at);
      this.last = ack.seq;
      this.onTick();
      const wait = start + this.count * INTERVAL_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Polls `condition` until it holds (true) or WAIT_MS pass (false). */
async function waitFor(condition: () => boolean): Promise<boolean> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? Number.NaN;
}

/** Where a viewer's frames break the chain from its snapshot: gaps and duplicates. */
function breaks(seen: Seen[], from: number): Array<{ at: number; seq: number }> {
  const found: Array<{ at: number; seq: number }> = [];
  let at = from;
  for (const frame of seen) {
    if (frame.type === 'snapshot') at = frame.seq;
    else if (frame.seq !== at + 1) found.push({ at, seq: frame.seq });
    at = Math.max(at, frame.seq);
  }
  return found;
}

/**
 * Runs the scenario on a fresh session with the gateway's `options` and returns what
 * every viewer saw, when the slow one was stuck and cut, and the gateway's counters.
 */
async function slowViewerRun(session: string, options: Partial<GatewayOptions>) {
  await produce(nats, { session, spec: linearSpec({ seed: 1 }), samples: 256 });
  await openUpdatesStream(nats, sessionNames(session));
  const cuts: number[] = [];
  let onCut = () => {};
  const gateway = await startGateway({
    nats,
    port: 0,
    highWaterMark: HIGH_WATER_MARK,
    stuckTimeoutMs: STUCK_MS,
    ...options,
    log: (line) => {
      if (/stuck above the high-water mark/.test(line)) {
        cuts.push(performance.now());
        onCut();
      }
    },
  });
  const url = `${gateway.wsUrl}?session=${session}`;
  const ordinary = await Promise.all(Array.from({ length: VIEWERS }, () => openOrdinary(url)));
  const sockets: SlowSocket[] = [];
  const client = connect(url, { WebSocket: recordingWebSocket(sockets), initialDelay: 100 });
  let slowLast = -1;
  let epoch: string | undefined;
  let subscription: { unsubscribe(): void } | undefined;
  let stuckAt: number | undefined;
  const publisher = new Publisher(session, () => {
    if (stuckAt === undefined && gateway.stats().skippedFrames > 0) stuckAt = performance.now();
  });
  try {
    await waitFor(() => ordinary.every((v) => v.seen.length > 0));
    await waitFor(() => publisher.count >= BASELINE_FRAMES);
    const joinedAfter = publisher.last;
    // The slow viewer joins (and stops reading at once, see recordingWebSocket).
    subscription = client.messages.subscribe((message) => {
      if (message.type === 'snapshot') epoch = message.epoch;
      if ('seq' in message) slowLast = message.seq;
    });
    // Once cut, it reads again at once: the close frame lies behind the bytes it left.
    onCut = () => tcpOf(sockets[0]!.ws).resume();
    await waitFor(
      () =>
        cuts.length > 0 ||
        publisher.count >= MAX_FRAMES ||
        (stuckAt !== undefined && performance.now() > stuckAt + STUCK_MS + CUT_SLACK_MS),
    );
    let back = false;
    let backAfter = Number.POSITIVE_INFINITY;
    if (cuts.length > 0) {
      // It reconnects by itself; once it has caught up, the baseline's second half.
      back = await waitFor(
        () => sockets.length > 1 && sockets[1]!.seen.length > 0 && slowLast >= publisher.last,
      );
      backAfter = publisher.last;
      const until = publisher.count + AFTER_FRAMES;
      await waitFor(() => publisher.count >= until);
    }
    await publisher.stop();
    const last = publisher.last;
    await waitFor(
      () => ordinary.every((v) => v.seen.at(-1)?.seq === last) && (!back || slowLast === last),
    );
    return {
      ordinary: ordinary.map((v) => v.seen),
      slow: sockets.map(({ url, seen, closeCode }) => ({
        resumeQuery: [new URL(url).searchParams.get('seq'), new URL(url).searchParams.get('epoch')],
        seen,
        closeCode,
      })),
      slowLast,
      epoch,
      stamps: publisher.stamps,
      joinedAfter,
      backAfter,
      last,
      stuckAt,
      cutAt: cuts[0],
      stats: gateway.stats(),
    };
  } finally {
    await publisher.stop();
    subscription?.unsubscribe();
    for (const v of ordinary) v.ws.terminate();
    for (const socket of sockets) socket.ws.terminate();
    await gateway.close();
  }
}

describe('a slow viewer', () => {
  it('is cut with 4008 and resumes without a gap, while the others keep their p99 latency', async () => {
    const run = await slowViewerRun('slow-viewer', {});
    const latency = (inPhase: (seq: number) => boolean) =>
      run.ordinary.flatMap((seen) =>
        seen
          .filter((f) => f.type === 'params-update' && inPhase(f.seq))
          .map((f) => f.at - run.stamps.get(f.seq)!),
      );
    // The baseline: before the slow viewer joins (after the first frames, which warm up
    // the sockets and the JIT) and once it is back and caught up.
    const inSlowPhase = (seq: number) => seq > run.joinedAfter && seq <= run.backAfter;
    const base = latency((seq) => seq > 10 && !inSlowPhase(seq));
    const slow = latency(inSlowPhase);
    const [p99Base, p99Slow] = [p99(base), p99(slow)];
    const frameBytes = Math.max(...run.ordinary.flat().map((f) => f.bytes));
    const cutAfter = (run.cutAt ?? Number.NaN) - (run.stuckAt ?? Number.NaN);
    console.log(
      `slow viewer: p99 ${p99Base.toFixed(1)} ms without it (${base.length} frames; before ` +
        `${p99(latency((seq) => seq > 10 && seq <= run.joinedAfter)).toFixed(1)}, after ` +
        `${p99(latency((seq) => seq > run.backAfter)).toFixed(1)}), ` +
        `${p99Slow.toFixed(1)} ms while slow or resuming (${slow.length}); cut ${cutAfter.toFixed(0)} ms after ` +
        `its first skipped frame; frames ${frameBytes} B; most buffered ` +
        `${run.stats.maxBufferedAmount} B; resumed ${run.stats.resumed}, reset ${run.stats.resets}`,
    );
    const [cutSocket, backSocket] = run.slow;
    const resumedFrom = cutSocket?.seen.at(-1)?.seq;
    expect({
      cut: run.cutAt !== undefined,
      closeCode: cutSocket?.closeCode,
      sockets: run.slow.length,
      resumeQuery: backSocket?.resumeQuery,
      gapsBeforeCut: breaks(cutSocket?.seen ?? [], -1),
      gapsAfter: breaks(backSocket?.seen ?? [], resumedFrom ?? Number.NaN),
      slowEnd: [backSocket?.seen.at(-1)?.seq, run.slowLast],
      ordinaryGaps: run.ordinary.flatMap((seen) => breaks(seen, -1)),
      ordinaryShort: run.ordinary.filter((seen) => seen.at(-1)?.seq !== run.last).length,
    }).toEqual({
      cut: true,
      closeCode: 4008,
      sockets: 2,
      // The protocol's client comes back from the last frame the cut socket read.
      resumeQuery: [String(resumedFrom), run.epoch],
      gapsBeforeCut: [],
      gapsAfter: [],
      slowEnd: [run.last, run.last],
      ordinaryGaps: [],
      ordinaryShort: 0,
    });
    expect(run.stats.skippedFrames).toBeGreaterThan(0);
    // Within STUCK_MS of its first skipped frame, give or take a late broadcast.
    expect(cutAfter).toBeLessThan(STUCK_MS + CUT_SLACK_MS);
    // The check comes before a send, so a client's buffer passes the mark by one frame at most.
    expect(run.stats.maxBufferedAmount).toBeLessThanOrEqual(HIGH_WATER_MARK + frameBytes + 16);
    expect(run.stats.resumed + run.stats.resets).toBe(1);
    expect(p99Slow).toBeLessThanOrEqual(Math.max(2 * p99Base, p99Base + P99_SLACK_MS));
  });
});
