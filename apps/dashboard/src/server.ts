import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CloseCode,
  type Command,
  type Config,
  ErrorCode,
  type ParamsUpdate,
  PROTOCOL_VERSION,
  parseClientMessage,
  type Snapshot,
  type StateChanged,
} from '@adamflow/protocol';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { History } from './history.js';
import { TokenBucket } from './rate-limiter.js';
import { serveStatic } from './static-files.js';
import { TrainerHost } from './trainer-host.js';
import type { TrainerReport, TrainerState } from './trainer-messages.js';

/** Options of {@link startDashboardServer}; every one has a default. */
export interface DashboardServerOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 8080, 0 picks a free one. */
  port?: number;
  /** Training samples per second; null trains flat out. Default 1000. */
  rate?: number | null;
  /** Seed of the sources; default 42. */
  seed?: number;
  /** Initial learning rate of Adam; default 0.01. */
  lr?: number;
  /** Broadcasts per second at most (latest wins); default 30. */
  broadcastHz?: number;
  /** Ping interval; a peer that has not answered the previous ping is terminated. Default 10 s. */
  heartbeatMs?: number;
  /** Per-client send-buffer high-water mark in bytes; above it frames are skipped. Default 256 KiB. */
  highWaterMark?: number;
  /** A client above the high-water mark this long is closed with 4008. Default 10 s. */
  stuckTimeoutMs?: number;
  /** Largest message accepted from a client; default (and at most) 64 KiB. */
  maxPayload?: number;
  /** When set, commands must carry this `token` (viewing never needs it). */
  token?: string | undefined;
  /** Origins allowed besides the server's own loopback origins. */
  allowedOrigins?: string[];
  /** Client messages: burst size and refill per second. Default 20 and 10. */
  rateLimit?: { capacity: number; perSecond: number };
  /** Directory of the built page; default dist/web next to this file. */
  webRoot?: string;
  /** History points kept (downsampled); default 1000. */
  historyLimit?: number;
  /** Recent samples kept for the scatter; default 400. */
  recentLimit?: number;
  /** Where to log; default nowhere. */
  log?: (line: string) => void;
}

/** Live counters, for tests, benchmarks and `/healthz`. */
export interface DashboardStats {
  clients: number;
  seq: number;
  samples: number;
  step: number;
  samplesPerSecond: number;
  broadcasts: number;
  skippedFrames: number;
  /** How long the last broadcast loop took (serialize once, send to every client), ms. */
  lastBroadcastMs: number;
  /** The largest send buffer any client has had right after a send, in bytes. */
  maxBufferedAmount: number;
  heapUsed: number;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** `http://host:port/`. */
  readonly url: string;
  /** `ws://host:port/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  stats(): DashboardStats;
  /** Closes every client (1001), the trainer and the HTTP server. */
  close(): Promise<void>;
}

interface Client {
  alive: boolean;
  bucket: TokenBucket;
  stuckSince: number | null;
  violations: number;
}

const now = () => performance.timeOrigin + performance.now();
const MAX_PAYLOAD = 64 * 1024;
// Samples per update for the scatter: 30 updates/s x 32 refreshes a 400-point scatter
// in under half a second, and keeps every frame to every client near 1 KiB.
const RECENT_PER_UPDATE = 32;
// Spelled out so ws skips its per-call option defaults; text frames, no compression.
const SEND_OPTIONS = { binary: false, compress: false, fin: true } as const;

/**
 * Starts the dashboard: an HTTP server for the page, a WebSocket at `/ws` that sends a
 * snapshot on connect and then conflated updates, and a trainer in a worker thread.
 * Follows ws's server-stats example and FAQ: an error handler on every socket, a
 * ping/pong heartbeat, teardown on close; serializes each broadcast once; bounds what
 * any client can make it hold.
 *
 * @param options - {@link DashboardServerOptions}.
 * @returns the running server, once it listens.
 * @example
 * ```ts
 * const server = await startDashboardServer({ port: 0 });
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function startDashboardServer(
  options: DashboardServerOptions = {},
): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const maxPayload = Math.min(options.maxPayload ?? MAX_PAYLOAD, MAX_PAYLOAD);
  const highWaterMark = options.highWaterMark ?? 256 * 1024;
  const stuckTimeoutMs = options.stuckTimeoutMs ?? 10_000;
  const rateLimit = options.rateLimit ?? { capacity: 20, perSecond: 10 };
  const webRoot = options.webRoot ?? join(dirname(fileURLToPath(import.meta.url)), 'web');
  const recentLimit = options.recentLimit ?? 400;
  const log = options.log ?? (() => {});
  const token = options.token || undefined;

  // Training state, as last reported by the worker.
  let config: Config | undefined;
  let truth: number[] | null = null;
  let params: number[] = [0, 0];
  let step = 0;
  let samples = 0;
  let loss: number | null = null;
  let lossEma: number | null = null;
  let samplesPerSecond = 0;
  let pendingX: number[] = [];
  let pendingY: number[] = [];
  const recentX: number[] = [];
  const recentY: number[] = [];
  let dirty = false;
  let seq = 0;
  let broadcasts = 0;
  let skippedFrames = 0;
  let maxBufferedAmount = 0;
  let lastBroadcastMs = 0;
  const history = new History(options.historyLimit ?? 1000);

  const clients = new Map<WebSocket, Client>();
  const http: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(stats()));
      return;
    }
    if (serveStatic(webRoot, request, response)) return;
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found\n');
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });

  const trainer = new TrainerHost(
    {
      rate: options.rate === undefined ? 1000 : options.rate,
      seed: options.seed ?? 42,
      lr: options.lr ?? 0.01,
      reportMs: 16,
    },
    {
      report: onReport,
      state: onState,
      failed: (message, code) => log(`trainer failed: ${message}${code ? ` (${code})` : ''}`),
    },
  );
  // Wait for the trainer's first state so the first snapshot is complete.
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (config) {
        clearInterval(check);
        resolve();
      }
    }, 5);
  });

  // Listen only once the trainer has reported, so every snapshot is complete.
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 8080, host, () => resolve());
    });
  } catch (error) {
    await trainer.stop();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const allowed = new Set([
    `http://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    `http://[::1]:${port}`,
    ...(options.allowedOrigins ?? []),
  ]);

  let shuttingDown = false;
  http.on('upgrade', (request: IncomingMessage, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (shuttingDown) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const origin = request.headers.origin;
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // Browsers always send Origin; a page elsewhere must not drive the trainer.
    // Non-browser clients send none and are let in (they could forge it anyway).
    if (origin !== undefined && !allowed.has(origin)) {
      log(`refused a WebSocket from origin ${origin}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws));
  });

  function onReport(report: TrainerReport): void {
    step = report.step;
    samples = report.samples;
    params = report.params;
    loss = report.loss;
    lossEma = report.lossEma;
    samplesPerSecond = report.samplesPerSecond;
    truth = report.truth;
    for (let i = 0; i < report.recentX.length; i++) {
      pendingX.push(report.recentX[i]!);
      pendingY.push(report.recentY[i]!);
      recentX.push(report.recentX[i]!);
      recentY.push(report.recentY[i]!);
    }
    if (pendingX.length > 256) {
      pendingX = pendingX.slice(-256);
      pendingY = pendingY.slice(-256);
    }
    if (recentX.length > recentLimit) {
      recentX.splice(0, recentX.length - recentLimit);
      recentY.splice(0, recentY.length - recentLimit);
    }
    if (loss !== null && lossEma !== null) history.add({ step, loss, lossEma, params });
    dirty = true;
  }

  function onState(state: TrainerState): void {
    config = state.config;
    truth = state.truth;
    params = state.params;
    step = state.step;
    samples = state.samples;
    if (state.reason === 'reset' || state.reason === 'set-source') {
      history.clear();
      loss = null;
      lossEma = null;
    }
    if (state.reason === 'set-source') {
      recentX.length = 0;
      recentY.length = 0;
      pendingX = [];
      pendingY = [];
    }
    if (state.reason === 'start') return;
    const message: StateChanged = {
      type: 'state-changed',
      seq: ++seq,
      time: now(),
      reason: state.reason,
      config: state.config,
      truth,
      params,
      step,
      samples,
    };
    broadcast(message);
  }

  function snapshot(): Snapshot {
    return {
      type: 'snapshot',
      protocol: PROTOCOL_VERSION,
      seq,
      time: now(),
      config: config!,
      truth,
      params,
      step,
      samples,
      samplesPerSecond,
      loss,
      lossEma,
      history: history.columns(params.length),
      recent: { x: recentX.slice(), y: recentY.slice() },
      clients: clients.size,
    };
  }

  /** Sends one serialized buffer to every client that can take it (latest wins). */
  function broadcast(message: object): void {
    const data = Buffer.from(JSON.stringify(message));
    const t = performance.now();
    broadcasts++;
    for (const [ws, client] of clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > highWaterMark) {
        skippedFrames++;
        client.stuckSince ??= t;
        if (t - client.stuckSince > stuckTimeoutMs) {
          log('closing a client stuck above the high-water mark');
          ws.close(CloseCode.TOO_SLOW, 'too slow: send buffer full');
          setTimeout(() => ws.terminate(), 1000).unref();
        }
        continue;
      }
      client.stuckSince = null;
      ws.send(data, SEND_OPTIONS);
      if (ws.bufferedAmount > maxBufferedAmount) maxBufferedAmount = ws.bufferedAmount;
    }
    lastBroadcastMs = performance.now() - t;
  }

  function sendTo(ws: WebSocket, message: object): void {
    if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount <= highWaterMark) {
      ws.send(JSON.stringify(message));
      if (ws.bufferedAmount > maxBufferedAmount) maxBufferedAmount = ws.bufferedAmount;
    }
  }

  function refuse(ws: WebSocket, code: ErrorCode, message: string, id: string | null = null): void {
    sendTo(ws, { type: 'error', code, message, id });
  }

  function onConnection(ws: WebSocket): void {
    const client: Client = {
      alive: true,
      bucket: new TokenBucket(rateLimit.capacity, rateLimit.perSecond),
      stuckSince: null,
      violations: 0,
    };
    clients.set(ws, client);
    ws.on('error', (error) => log(`client socket error: ${error.message}`));
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => onMessage(ws, client, data, isBinary));
    sendTo(ws, snapshot());
  }

  function onMessage(ws: WebSocket, client: Client, data: RawData, isBinary: boolean): void {
    if (!client.bucket.take()) {
      if (++client.violations > 50)
        ws.close(CloseCode.POLICY_VIOLATION, 'rate limit exceeded repeatedly');
      else
        refuse(
          ws,
          ErrorCode.RATE_LIMITED,
          `too many messages; at most ${rateLimit.perSecond} per second`,
        );
      return;
    }
    if (isBinary) {
      refuse(
        ws,
        ErrorCode.BINARY_UNSUPPORTED,
        'binary frames are not part of the protocol; send JSON text',
      );
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      refuse(ws, ErrorCode.INVALID_JSON, 'the message is not valid JSON');
      return;
    }
    const parsed = parseClientMessage(json);
    const id =
      typeof (json as { id?: unknown })?.id === 'string'
        ? ((json as { id: string }).id as string)
        : null;
    if (!parsed.ok) {
      refuse(ws, parsed.code, parsed.message, id);
      return;
    }
    const message = parsed.value;
    if (message.type === 'snapshot-request') {
      sendTo(ws, snapshot());
      return;
    }
    if (token !== undefined && message.token !== token) {
      refuse(ws, ErrorCode.UNAUTHORIZED, 'commands need the control token: send it as "token"', id);
      return;
    }
    const { token: _token, id: _id, ...command } = message;
    void trainer.command(command as Command).then((result) => {
      if (result.ok) sendTo(ws, { type: 'command-ack', id, command: message.type });
      else
        refuse(
          ws,
          ErrorCode.COMMAND_REJECTED,
          `${message.type}: ${result.message ?? 'refused'}`,
          id,
        );
    });
  }

  const tick = setInterval(
    () => {
      if (!dirty || !config) return;
      dirty = false;
      const update: ParamsUpdate = {
        type: 'params-update',
        seq: ++seq,
        time: now(),
        step,
        samples,
        params,
        loss,
        lossEma,
        samplesPerSecond,
        truth,
        recent: thin(pendingX, pendingY, RECENT_PER_UPDATE),
      };
      pendingX = [];
      pendingY = [];
      broadcast(update);
    },
    1000 / (options.broadcastHz ?? 30),
  );
  const heartbeat = setInterval(() => {
    for (const [ws, client] of clients) {
      if (!client.alive) {
        log('terminating a peer that missed a heartbeat');
        ws.terminate();
        clients.delete(ws);
        continue;
      }
      client.alive = false;
      ws.ping();
    }
  }, options.heartbeatMs ?? 10_000);

  function stats(): DashboardStats {
    return {
      clients: clients.size,
      seq,
      samples,
      step,
      samplesPerSecond,
      broadcasts,
      skippedFrames,
      maxBufferedAmount,
      lastBroadcastMs,
      heapUsed: process.memoryUsage().heapUsed,
    };
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}/`,
    wsUrl: `ws://${hostForUrl}:${port}/ws`,
    port,
    stats,
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        // Stop accepting first, so nobody connects to a server on its way out.
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        clearInterval(tick);
        clearInterval(heartbeat);
        for (const ws of clients.keys()) ws.close(CloseCode.GOING_AWAY, 'server shutting down');
        await trainer.stop();
        await new Promise<void>((resolve) => {
          wss.close(() => resolve());
        });
        for (const ws of clients.keys()) ws.terminate();
        clients.clear();
        http.closeAllConnections();
        await httpClosed;
      })();
      return closing;
    },
  };
}

/**
 * At most `limit` of the pairs, evenly spaced, rounded to 4 decimals: the scatter
 * needs no more, and full doubles would more than double every frame sent to every
 * client.
 */
function thin(x: number[], y: number[], limit: number): { x: number[]; y: number[] } {
  const count = Math.min(limit, x.length);
  const step = x.length / Math.max(count, 1);
  const out = { x: new Array<number>(count), y: new Array<number>(count) };
  for (let i = 0; i < count; i++) {
    const j = Math.floor(i * step);
    out.x[i] = Math.round(x[j]! * 1e4) / 1e4;
    out.y[i] = Math.round(y[j]! * 1e4) / 1e4;
  }
  return out;
}
