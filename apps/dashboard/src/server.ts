import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import {
  CloseCode,
  type Command,
  type Config,
  type Diverged,
  ErrorCode,
  type ParamsUpdate,
  PROTOCOL_VERSION,
  parseClientFrame,
  type Snapshot,
  type StateChanged,
} from '@adamflow/protocol';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { AddressTable } from './address-table.js';
import { BoundedLog, peerText } from './bounded-log.js';
import { History } from './history.js';
import { type RateLimit, TokenBucket } from './rate-limiter.js';
import { parseRequestTarget } from './request-target.js';
import { SECURITY_HEADERS } from './security-headers.js';
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
  /** Client messages per connection: burst size and refill per second. Default 20 and 10. */
  rateLimit?: RateLimit;
  /** Open WebSocket connections per remote address; beyond it HTTP 429. Default 64. */
  maxConnectionsPerAddress?: number;
  /** New WebSocket connections per remote address (each costs a snapshot); beyond it HTTP 429. Default burst 64, 16/s. */
  connectRate?: RateLimit;
  /** Open WebSocket connections in all; beyond it HTTP 503. Default 1024. */
  maxClients?: number;
  /** `snapshot-request`s served per second across all clients (a snapshot is tens of KiB). Default burst 20, 10/s. */
  snapshotBudget?: RateLimit;
  /** Commands applied per second across all clients. Default burst 40, 20/s. */
  commandBudget?: RateLimit;
  /** Wrong control tokens per remote address, across reconnects. Default burst 10, 1/s. */
  tokenGuesses?: RateLimit;
  /** Directory of the built page; default dist/web next to this file. */
  webRoot?: string;
  /** History points kept (downsampled); default 1000. */
  historyLimit?: number;
  /** Recent samples kept for the scatter; default 400. */
  recentLimit?: number;
  /** Where to log; default nowhere. Lines are cut to 240 characters and rate limited per kind. */
  log?: (line: string) => void;
}

/** Longest control token: the protocol's `token` field carries at most 256 characters. */
export const MAX_TOKEN_LENGTH = 256;

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
  /** Snapshots sent in answer to `snapshot-request` (not counting those on connect). */
  snapshotsServed: number;
  /** Commands passed to the trainer. */
  commandsApplied: number;
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
  address: string;
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
const ALLOW = 'GET, HEAD';
// Merged state changes keep the reason that tells clients to clear their history.
const REASON_RANK: Partial<Record<StateChanged['reason'], number>> = { reset: 1, 'set-source': 2 };

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
  const logger = new BoundedLog(options.log ?? (() => {}));
  const log = (kind: string, line: string) => logger.write(kind, line);
  const token = checkToken(options.token);
  const tokenDigest = token === undefined ? undefined : digest(token);
  const maxClients = options.maxClients ?? 1024;
  const addresses = new AddressTable({
    connections: options.maxConnectionsPerAddress ?? 64,
    connects: options.connectRate ?? { capacity: 64, perSecond: 16 },
    tokenChecks: options.tokenGuesses ?? { capacity: 10, perSecond: 1 },
    addresses: 10_000,
  });
  const snapshotBudget = bucketOf(options.snapshotBudget ?? { capacity: 20, perSecond: 10 });
  const commandBudget = bucketOf(options.commandBudget ?? { capacity: 40, perSecond: 20 });

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
  let diverged: Diverged | null = null;
  // State changes since the last tick, merged into one broadcast.
  let pendingState: StateChanged | undefined;
  let cachedSnapshot: { seq: number; data: Buffer } | undefined;
  let pendingUpgrades = 0;
  let seq = 0;
  let broadcasts = 0;
  let snapshotsServed = 0;
  let commandsApplied = 0;
  let skippedFrames = 0;
  let maxBufferedAmount = 0;
  let lastBroadcastMs = 0;
  const history = new History(options.historyLimit ?? 1000);

  const clients = new Map<WebSocket, Client>();
  const http: Server = createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000 },
    (request, response) => {
      onRequest(request, response).catch((error: unknown) => {
        log(
          'http-error',
          `HTTP handler failed: ${peerText(String((error as Error)?.message), 120)}`,
        );
        if (!response.headersSent) respond(response, 500, 'internal error\n');
        else response.destroy();
      });
    },
  );
  http.maxConnections = maxClients + 256;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });

  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
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
      failed: (message, code) =>
        log('trainer-failed', `trainer failed: ${message}${code ? ` (${code})` : ''}`),
    },
  );
  // Wait for the trainer's first state so the first snapshot is complete.
  await started;

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
    `http://${hostForUrl}:${port}`,
    ...(options.allowedOrigins ?? []),
  ]);
  // Hosts a browser may name for /healthz: ours and the allowed origins' (a page on a
  // rebound DNS name must not read the counters).
  const allowedHosts = new Set<string>();
  for (const origin of allowed) {
    try {
      allowedHosts.add(new URL(origin).host.toLowerCase());
    } catch {
      // not a URL: matches no Host
    }
  }

  let shuttingDown = false;
  http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      onUpgrade(request, socket, head);
    } catch (error) {
      log('upgrade-error', `upgrade failed: ${peerText(String((error as Error)?.message), 120)}`);
      socket.destroy();
    }
  });

  async function onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = parseRequestTarget(request.url);
    if (!target.ok) return respond(response, target.status, `refused: ${target.reason}\n`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return respond(response, 405, `only ${ALLOW}\n`, { allow: ALLOW });
    }
    const head = request.method === 'HEAD';
    if (target.path === '/healthz') {
      if (!allowedHosts.has(String(request.headers.host).toLowerCase())) {
        return respond(response, 403, 'unknown Host\n');
      }
      let body: string;
      try {
        body = JSON.stringify(stats());
      } catch {
        return respond(response, 503, 'unavailable\n', { 'retry-after': '1' });
      }
      return respond(response, 200, head ? '' : body, { 'content-type': 'application/json' });
    }
    const result = await serveStatic(webRoot, target.path, response, head, SECURITY_HEADERS);
    if (result === 'served') return;
    if (result === 'unavailable') {
      log('static-unavailable', 'could not open a page file (at the descriptor limit?): 503');
      return respond(response, 503, 'temporarily unavailable\n', { 'retry-after': '1' });
    }
    respond(response, 404, 'not found\n');
  }

  function onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    if (shuttingDown) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    const target = parseRequestTarget(request.url);
    if (!target.ok) {
      refuseUpgrade(socket, target.status, target.status === 414 ? 'URI Too Long' : 'Bad Request');
      return;
    }
    if (target.path !== '/ws') {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    // Browsers always send Origin; a page elsewhere must not drive the trainer.
    // Non-browser clients send none and are let in (they could forge it anyway).
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      log('origin-refused', `refused a WebSocket from origin ${peerText(origin)}`);
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (clients.size + pendingUpgrades >= maxClients) {
      log('clients-full', `refused a WebSocket: ${maxClients} clients connected`);
      refuseUpgrade(socket, 503, 'Service Unavailable', 'Retry-After: 5\r\n');
      return;
    }
    const address = socket.remoteAddress ?? 'unknown';
    if (!addresses.admit(address)) {
      log('address-full', `refused a WebSocket: too many connections from ${peerText(address)}`);
      refuseUpgrade(socket, 429, 'Too Many Requests', 'Retry-After: 5\r\n');
      return;
    }
    // The socket outlives the upgrade (it carries the WebSocket), so its close is the
    // one moment the address's connection ends, whatever happened in between.
    socket.once('close', () => addresses.release(address));
    pendingUpgrades++;
    let settled = false;
    const settle = () => {
      if (!settled) pendingUpgrades--;
      settled = true;
    };
    socket.once('close', settle);
    wss.handleUpgrade(request, socket, head, (ws) => {
      settle();
      onConnection(ws, address);
    });
  }

  function onReport(report: TrainerReport): void {
    // Nothing new while paused: no broadcast (the heartbeat keeps connections alive).
    if (report.samples === samples && report.step === step && report.recentX.length === 0) return;
    // The trainer stops on a non-finite parameter; never let one reach a frame.
    if (!report.params.every(Number.isFinite)) return;
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
    const restarted =
      state.reason === 'reset' || state.reason === 'set-source' || state.step < step;
    config = state.config;
    truth = state.truth;
    params = state.params;
    step = state.step;
    samples = state.samples;
    diverged = state.diverged;
    if (restarted) {
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
    if (state.reason === 'start') {
      onStarted();
      return;
    }
    // Merged with any change since the last tick: the latest state, and the reason
    // that matters most to clients (one that clears their history).
    const merged = pendingState?.reason;
    const reason =
      merged !== undefined && (REASON_RANK[merged] ?? 0) > (REASON_RANK[state.reason] ?? 0)
        ? merged
        : state.reason;
    pendingState = {
      type: 'state-changed',
      seq: 0,
      time: 0,
      reason,
      config: state.config,
      truth,
      params,
      step,
      samples,
      diverged,
    };
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
      diverged,
    };
  }

  /** The snapshot, serialized once per broadcast tick however many clients ask. */
  function snapshotData(): Buffer {
    if (cachedSnapshot?.seq !== seq) {
      cachedSnapshot = { seq, data: Buffer.from(JSON.stringify(snapshot())) };
    }
    return cachedSnapshot.data;
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
          log('client-stuck', 'closing a client stuck above the high-water mark');
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

  function sendTo(ws: WebSocket, message: object | Buffer): void {
    if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount <= highWaterMark) {
      ws.send(Buffer.isBuffer(message) ? message : JSON.stringify(message), SEND_OPTIONS);
      if (ws.bufferedAmount > maxBufferedAmount) maxBufferedAmount = ws.bufferedAmount;
    }
  }

  function refuse(ws: WebSocket, code: ErrorCode, message: string, id: string | null = null): void {
    sendTo(ws, { type: 'error', code, message, id });
  }

  function onConnection(ws: WebSocket, address: string): void {
    const client: Client = {
      address,
      alive: true,
      bucket: new TokenBucket(rateLimit.capacity, rateLimit.perSecond),
      stuckSince: null,
      violations: 0,
    };
    clients.set(ws, client);
    ws.on('error', (error) =>
      log('client-error', `client socket error: ${peerText(error.message, 120)}`),
    );
    ws.on('pong', () => {
      client.alive = true;
    });
    // ws answers every ping by itself; without this a ping flood would cost a frame
    // each way with no limit. Pings draw on the same bucket as messages.
    ws.on('ping', () => {
      if (!client.bucket.take() && ++client.violations > 50) {
        ws.close(CloseCode.POLICY_VIOLATION, 'rate limit exceeded repeatedly');
      }
    });
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => onMessage(ws, client, data, isBinary));
    sendTo(ws, snapshotData());
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
    const parsed = parseClientFrame(String(data));
    if (!parsed.ok) {
      refuse(ws, parsed.code, parsed.message, parsed.id ?? null);
      return;
    }
    const message = parsed.value;
    const id = message.id ?? null;
    if (message.type === 'snapshot-request') {
      if (!snapshotBudget.take()) {
        refuse(
          ws,
          ErrorCode.RATE_LIMITED,
          'the server is busy sending snapshots; retry in a second',
          id,
        );
        return;
      }
      snapshotsServed++;
      sendTo(ws, snapshotData());
      return;
    }
    if (tokenDigest !== undefined) {
      // Past its budget of wrong guesses an address gets no verdict at all, so
      // reconnecting does not buy more guesses.
      if (!addresses.mayCheckToken(client.address)) {
        refuse(
          ws,
          ErrorCode.RATE_LIMITED,
          'too many wrong control tokens from this address; wait a few seconds',
          id,
        );
        return;
      }
      if (message.token === undefined || !timingSafeEqual(digest(message.token), tokenDigest)) {
        addresses.tokenFailed(client.address);
        refuse(
          ws,
          ErrorCode.UNAUTHORIZED,
          'commands need the control token: send it as "token"',
          id,
        );
        return;
      }
    }
    if (!commandBudget.take()) {
      refuse(
        ws,
        ErrorCode.RATE_LIMITED,
        'the server is busy with commands from other clients; retry in a second',
        id,
      );
      return;
    }
    const { token: _token, id: _id, ...command } = message;
    commandsApplied++;
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
      if (pendingState) {
        broadcast({ ...pendingState, seq: ++seq, time: now() });
        pendingState = undefined;
      }
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
        log('heartbeat', 'terminating a peer that missed a heartbeat');
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
      snapshotsServed,
      commandsApplied,
      lastBroadcastMs,
      // Not process.memoryUsage(): it opens /proc files and throws at the descriptor limit.
      heapUsed: getHeapStatistics().used_heap_size,
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
        logger.flush();
      })();
      return closing;
    },
  };
}

/** The control token, checked: at most {@link MAX_TOKEN_LENGTH} characters; '' means none. */
function checkToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
    throw new RangeError(
      `token must be 1 to ${MAX_TOKEN_LENGTH} characters (the protocol carries no more), got ${typeof token === 'string' ? token.length : typeof token}; choose a shorter token`,
    );
  }
  return token;
}

/** Hashes a token so the comparison takes the same time whatever its length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bucketOf(limit: RateLimit): TokenBucket {
  return new TokenBucket(limit.capacity, limit.perSecond);
}

function respond(
  response: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders = {},
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function refuseUpgrade(socket: Socket, status: number, text: string, extra = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`,
  );
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
