// A viewer that stops reading, among ordinary ones, on the single-process server: it
// is cut with 4008 while the others keep their update rate (no frame skipped for them)
// and their latency, measured in the same run before it joins and after it is cut.
// The slow viewer keeps asking for snapshots (250 a second, several KiB each) so that
// its buffers fill in a few seconds; the server's 30 small updates a second would take
// minutes to fill loopback's socket buffers (~4 MB). The tests import the built server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DashboardServer } from './server.js';
import { record } from './test-client.js';

const { startDashboardServer } = (await import(
  new URL('../dist/server.js', import.meta.url).href
)) as typeof import('./server.js');

const VIEWERS = 20;
const HIGH_WATER_MARK = 64 * 1024;
const STUCK_MS = 500;
// How long each phase without the slow viewer lasts: ~45 updates a viewer.
const PHASE_MS = 1500;
// Generous: the bounds only catch a hang on a busy machine.
const WAIT_MS = 30_000;
// The others' p99 with the slow viewer may exceed their p99 without it by this much, or
// double it. Each phase lasts seconds, so its p99 is about its worst frame: one stall of
// a busy 2-core machine (up to ~100 ms seen at load 6-9, in either phase) sets it. A
// server that lets a stuck viewer block its loop costs the others more than that.
const P99_SLACK_MS = 100;

// The server stamps each update with this clock (`time`); the viewers run in this process.
const now = () => performance.timeOrigin + performance.now();

/** An update as an ordinary viewer saw it: its `seq`, the server's stamp, and when it came. */
interface Seen {
  seq: number;
  time: number;
  at: number;
}

function openOrdinary(url: string): Promise<{ ws: WebSocket; updates: Seen[] }> {
  const ws = new WebSocket(url);
  const updates: Seen[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; seq: number; time: number };
    if (message.type === 'params-update') {
      updates.push({ seq: message.seq, time: message.time, at: now() });
    }
  });
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, updates }));
    ws.once('error', reject);
  });
}

/** Node's socket under a `ws` WebSocket (paused to stop reading, as a stalled tab would). */
function tcpOf(ws: WebSocket): { pause(): void; resume(): void } {
  return (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
}

async function waitFor(condition: () => boolean): Promise<boolean> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? Number.NaN;
}

describe('dashboard server: a slow viewer', () => {
  let server: DashboardServer;
  const cuts: number[] = [];
  let onCut = () => {};
  beforeAll(async () => {
    server = await startDashboardServer({
      port: 0,
      rate: 2000,
      highWaterMark: HIGH_WATER_MARK,
      stuckTimeoutMs: STUCK_MS,
      heartbeatMs: 60_000,
      // The slow viewer's snapshot requests must reach the server to fill its buffer.
      rateLimit: { capacity: 2000, perSecond: 2000 },
      snapshotBudget: { capacity: 2000, perSecond: 2000 },
      log: (line) => {
        if (/stuck above the high-water mark/.test(line)) {
          cuts.push(now());
          onCut();
        }
      },
    });
  });
  afterAll(() => server.close());

  it('is cut with 4008 while the others keep their rate and p99 latency', async () => {
    const viewers = await Promise.all(
      Array.from({ length: VIEWERS }, () => openOrdinary(server.wsUrl)),
    );
    let flood: ReturnType<typeof setInterval> | undefined;
    try {
      await waitFor(() => viewers.every((v) => v.updates.length > 0));
      const start = now();
      await pause(PHASE_MS);
      const joinedAt = now();
      const slow = await record(server.wsUrl);
      tcpOf(slow.ws).pause();
      flood = setInterval(() => {
        for (let i = 0; i < 5; i++) slow.send({ type: 'snapshot-request' });
      }, 20);
      // Once cut, it reads again at once: the close frame lies behind the bytes it left.
      onCut = () => {
        clearInterval(flood);
        tcpOf(slow.ws).resume();
      };
      await waitFor(() => cuts.length > 0);
      const cutAt = cuts[0] ?? Number.NaN;
      const closed =
        cuts.length > 0
          ? await Promise.race([slow.closed, pause(WAIT_MS).then(() => ({ code: -1 }))])
          : { code: -1 };
      await pause(PHASE_MS);
      const end = now();
      // Back, it starts again from a fresh snapshot.
      const again = await record(server.wsUrl);
      await again.next((m) => m['type'] === 'snapshot');
      again.ws.close();

      const inBase = (t: number) => (t >= start && t < joinedAt) || (t >= cutAt && t < end);
      const inSlow = (t: number) => t >= joinedAt && t < cutAt;
      const updates = viewers.flatMap((v) => v.updates);
      const latency = (phase: (t: number) => boolean) =>
        updates.filter((u) => phase(u.time)).map((u) => u.at - u.time);
      const rate = (phase: (t: number) => boolean, seconds: number) =>
        updates.filter((u) => phase(u.time)).length / VIEWERS / seconds;
      const baseRate = rate(inBase, (joinedAt - start + end - cutAt) / 1000);
      const slowRate = rate(inSlow, (cutAt - joinedAt) / 1000);
      const [p99Base, p99Slow] = [p99(latency(inBase)), p99(latency(inSlow))];
      const stats = server.stats();
      console.log(
        `dashboard slow viewer: ${baseRate.toFixed(1)} updates/s and p99 ${p99Base.toFixed(1)} ms ` +
          `without it, ${slowRate.toFixed(1)}/s and ${p99Slow.toFixed(1)} ms while it was stuck ` +
          `(cut ${(cutAt - joinedAt).toFixed(0)} ms after it joined); most buffered ` +
          `${stats.maxBufferedAmount} B`,
      );
      const gaps = viewers.flatMap((v) =>
        v.updates.slice(1).filter((u, i) => u.seq !== v.updates[i]!.seq + 1),
      );
      expect({ cut: cuts.length, code: closed.code, gaps: gaps.length }).toEqual({
        cut: 1,
        code: 4008,
        gaps: 0,
      });
      expect(stats.skippedFrames).toBeGreaterThan(0);
      // Never more than the mark plus one message (a snapshot is the largest, < 192 KiB).
      expect(stats.maxBufferedAmount).toBeLessThan(HIGH_WATER_MARK + 192 * 1024);
      // Timer ticks on a busy machine come late in either phase: a quarter of slack.
      expect(slowRate).toBeGreaterThanOrEqual(0.75 * baseRate);
      expect(p99Slow).toBeLessThanOrEqual(Math.max(2 * p99Base, p99Base + P99_SLACK_MS));
    } finally {
      clearInterval(flood);
      for (const v of viewers) v.ws.terminate();
    }
  });
});
