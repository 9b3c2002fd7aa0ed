import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { type Command, ErrorCode, parseClientFrame } from '@adamflow/protocol';
import { type RawData, WebSocketServer } from 'ws';
import { BoundedLog, peerText } from './bounded-log.js';
import { readCheckpointFile, setCheckpointAside, writeCheckpointFile } from './checkpoint-file.js';
import { type Client, ClientRegistry } from './client-registry.js';
import { answerRequest, type PageContext, refuseUpgrade, respond } from './http-answers.js';
import { type RateLimit, TokenBucket } from './rate-limiter.js';
import { parseRequestTarget } from './request-target.js';
import { SessionState } from './session-state.js';
import { TrainerHost } from './trainer-host.js';
import type { DashboardCheckpoint } from './trainer-messages.js';

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
  /**
   * Where the run is saved (written atomically every `checkpointIntervalMs` and on
   * `close()`) and resumed from on start. Default none: nothing is written. A file
   * that cannot be restored is moved to `<file>.corrupt-<time>` and the run starts fresh.
   */
  checkpointFile?: string | undefined;
  /** How often the checkpoint is written, ms; default 5000. */
  checkpointIntervalMs?: number;
  /** Start a fresh run even if `checkpointFile` holds one (it is overwritten later). Default false. */
  fresh?: boolean;
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
  /** Checkpoints written to `checkpointFile` so far. */
  checkpointsWritten: number;
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

const now = () => performance.timeOrigin + performance.now();
const MAX_PAYLOAD = 64 * 1024;

/**
 * Starts the dashboard: an HTTP server for the page, a WebSocket at `/ws` that sends a
 * snapshot on connect and then conflated updates, and a trainer in a worker thread.
 * This is the shell that wires them: the run's state lives in a {@link SessionState},
 * the connections in a {@link ClientRegistry} (heartbeat, backpressure, limits); here
 * are HTTP, the upgrade, the meaning of client messages and the broadcast tick.
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
  const webRoot = options.webRoot ?? join(dirname(fileURLToPath(import.meta.url)), 'web');
  const logger = new BoundedLog(options.log ?? (() => {}));
  const log = (kind: string, line: string) => logger.write(kind, line);
  const tokenDigest = digestOf(checkToken(options.token));
  const snapshotBudget = bucketOf(options.snapshotBudget ?? { capacity: 20, perSecond: 10 });
  const commandBudget = bucketOf(options.commandBudget ?? { capacity: 40, perSecond: 20 });
  const maxClients = options.maxClients ?? 1024;
  const checkpointFile = options.checkpointFile;
  const checkpointIntervalMs = checkInterval(options.checkpointIntervalMs ?? 5000);
  // Every file operation in order: a write never races the move of a refused file.
  let fileQueue: Promise<unknown> = Promise.resolve();
  const onFile = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = fileQueue.then(operation);
    fileQueue = result.catch(() => {});
    return result;
  };
  const setAside = (reason: string) =>
    onFile(async () => {
      if (checkpointFile === undefined) return;
      const where = await setCheckpointAside(checkpointFile).then(
        (aside) => `moved to ${aside}`,
        (error: unknown) => `could not move it (${(error as { code?: unknown }).code})`,
      );
      log('checkpoint-invalid', `checkpoint not restored: ${reason}; ${where}; starting fresh`);
    });
  let from: DashboardCheckpoint | undefined;
  if (checkpointFile !== undefined && !options.fresh) {
    const read = await readCheckpointFile(checkpointFile);
    if (read.kind === 'ok') from = read.checkpoint;
    else if (read.kind === 'invalid') await setAside(read.reason);
  }
  let restoreRefused = false;
  let checkpointsWritten = 0;
  const state = new SessionState({
    ...(options.historyLimit === undefined ? {} : { historyLimit: options.historyLimit }),
    ...(options.recentLimit === undefined ? {} : { recentLimit: options.recentLimit }),
  });
  const registry = new ClientRegistry(
    {
      highWaterMark: options.highWaterMark ?? 256 * 1024,
      stuckTimeoutMs: options.stuckTimeoutMs ?? 10_000,
      heartbeatMs: options.heartbeatMs ?? 10_000,
      rateLimit: options.rateLimit ?? { capacity: 20, perSecond: 10 },
      maxClients,
      addresses: {
        connections: options.maxConnectionsPerAddress ?? 64,
        connects: options.connectRate ?? { capacity: 64, perSecond: 16 },
        tokenChecks: options.tokenGuesses ?? { capacity: 10, perSecond: 1 },
        addresses: 10_000,
      },
      log,
    },
    (client, data, isBinary) => onMessage(client, data, isBinary),
  );
  let seq = 0;
  let snapshotsServed = 0;
  let commandsApplied = 0;
  let cachedSnapshot: { seq: number; data: Buffer } | undefined;

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
      report: (report) => state.applyReport(report),
      state: (change) => {
        state.applyState(change);
        if (change.reason !== 'start') return;
        if (from && !restoreRefused) {
          const how = change.diverged
            ? ' (diverged, paused)'
            : change.config.paused
              ? ' (paused)'
              : '';
          log(
            'checkpoint-restored',
            `resumed from the checkpoint at sample ${change.samples}, step ${change.step}${how}`,
          );
        }
        onStarted();
      },
      failed: (message, code) =>
        log('trainer-failed', `trainer failed: ${message}${code ? ` (${code})` : ''}`),
      restoreFailed: (message) => {
        restoreRefused = true;
        void setAside(peerText(message, 160));
      },
    },
    undefined,
    from,
  );
  let saving: Promise<string | null> | undefined;
  /** Takes the trainer's checkpoint and writes it; one at a time. Null once written, else why not. */
  const saveCheckpoint = (): Promise<string | null> => {
    if (checkpointFile === undefined) return Promise.resolve('no checkpoint file');
    saving ??= (async () => {
      try {
        const checkpoint = await trainer.checkpoint();
        if (!checkpoint) return 'the trainer has no healthy state to save yet';
        await onFile(() => writeCheckpointFile(checkpointFile, checkpoint));
        checkpointsWritten++;
        return null;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const why = `could not write the checkpoint: ${code ?? (error as Error)?.message}`;
        log('checkpoint-write', why);
        return why;
      } finally {
        saving = undefined;
      }
    })();
    return saving;
  };
  let queuedSave: Promise<string | null> | undefined;
  /**
   * Writes the run as it is now: after the write under way, if any (it took the run
   * earlier). Commands that arrive meanwhile share the one queued write.
   */
  const saveNow = (): Promise<string | null> => {
    queuedSave ??= (async () => {
      await saving;
      queuedSave = undefined;
      return saveCheckpoint();
    })();
    return queuedSave;
  };
  let saver: ReturnType<typeof setInterval> | undefined;
  const tick = setInterval(
    () => {
      for (const change of state.takeStateChanges()) {
        registry.broadcast({ ...change, seq: ++seq, time: now() });
      }
      const update = state.takeUpdate();
      if (update) registry.broadcast({ ...update, seq: ++seq, time: now() });
    },
    1000 / (options.broadcastHz ?? 30),
  );

  const http: Server = createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000 },
    (request, response) => {
      answerRequest(request, response, page).catch((error: unknown) => {
        log('http-error', `HTTP handler failed: ${peerText(String((error as Error)?.message))}`);
        if (!response.headersSent) respond(response, 500, 'internal error\n');
        else response.destroy();
      });
    },
  );
  http.maxConnections = maxClients + 256;
  // Filled in once the port is known (the allowed Hosts name it).
  const page: PageContext = { webRoot, allowedHosts: new Set(), stats: () => stats(), log };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.min(options.maxPayload ?? MAX_PAYLOAD, MAX_PAYLOAD),
    perMessageDeflate: false,
    clientTracking: false,
  });

  // Listen only once the trainer has reported, so every snapshot is complete.
  try {
    await started;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 8080, host, () => resolve());
    });
  } catch (error) {
    clearInterval(tick);
    registry.closeAll();
    await trainer.stop();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  if (checkpointFile !== undefined) {
    saver = setInterval(() => void saveCheckpoint(), checkpointIntervalMs);
  }
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
  for (const origin of allowed) {
    try {
      page.allowedHosts.add(new URL(origin).host.toLowerCase());
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
      log('upgrade-error', `upgrade failed: ${peerText(String((error as Error)?.message))}`);
      socket.destroy();
    }
  });

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
    const refusal = registry.admit(socket);
    if (refusal) {
      refuseUpgrade(socket, refusal.status, refusal.text, 'Retry-After: 5\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      registry.send(registry.add(ws, socket), snapshotData());
    });
  }

  /** The snapshot, serialized once per broadcast tick however many clients ask. */
  function snapshotData(): Buffer {
    if (cachedSnapshot?.seq !== seq) {
      const snapshot = state.snapshot(seq, now(), registry.size);
      cachedSnapshot = { seq, data: Buffer.from(JSON.stringify(snapshot)) };
    }
    return cachedSnapshot.data;
  }

  function refuse(client: Client, code: ErrorCode, message: string, id: string | null): void {
    registry.send(client, { type: 'error', code, message, id });
  }

  function onMessage(client: Client, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      const text = 'binary frames are not part of the protocol; send JSON text';
      refuse(client, ErrorCode.BINARY_UNSUPPORTED, text, null);
      return;
    }
    const parsed = parseClientFrame(String(data));
    if (!parsed.ok) {
      refuse(client, parsed.code, parsed.message, parsed.id ?? null);
      return;
    }
    const message = parsed.value;
    const id = message.id ?? null;
    if (message.type === 'snapshot-request') {
      if (!snapshotBudget.take()) {
        const text = 'the server is busy sending snapshots; retry in a second';
        refuse(client, ErrorCode.RATE_LIMITED, text, id);
        return;
      }
      snapshotsServed++;
      registry.send(client, snapshotData());
      return;
    }
    if (tokenDigest !== undefined) {
      // Past its budget of wrong guesses an address gets no verdict at all, so
      // reconnecting does not buy more guesses.
      if (!registry.mayCheckToken(client.address)) {
        const text = 'too many wrong control tokens from this address; wait a few seconds';
        refuse(client, ErrorCode.RATE_LIMITED, text, id);
        return;
      }
      if (message.token === undefined || !timingSafeEqual(digest(message.token), tokenDigest)) {
        registry.tokenFailed(client.address);
        const text = 'commands need the control token: send it as "token"';
        refuse(client, ErrorCode.UNAUTHORIZED, text, id);
        return;
      }
    }
    if (!commandBudget.take()) {
      const text = 'the server is busy with commands from other clients; retry in a second';
      refuse(client, ErrorCode.RATE_LIMITED, text, id);
      return;
    }
    if (message.type === 'checkpoint' || message.type === 'restore') {
      commandsApplied++;
      void checkpointCommand(message.type).then((problem) => {
        if (problem === null) {
          registry.send(client, { type: 'command-ack', id, command: message.type });
        } else refuse(client, ErrorCode.COMMAND_REJECTED, `${message.type}: ${problem}`, id);
      });
      return;
    }
    const { token: _token, id: _id, ...command } = message;
    commandsApplied++;
    void trainer.command(command as Command).then((result) => {
      if (result.ok) registry.send(client, { type: 'command-ack', id, command: message.type });
      else {
        const text = `${message.type}: ${result.message ?? 'refused'}`;
        refuse(client, ErrorCode.COMMAND_REJECTED, text, id);
      }
    });
  }

  /**
   * `checkpoint` writes the checkpoint file now; `restore` reads it back (in order with
   * the writes) and sends the run back to it. Resolves with null when done, else why not.
   */
  async function checkpointCommand(type: 'checkpoint' | 'restore'): Promise<string | null> {
    if (checkpointFile === undefined) {
      return 'this server keeps no checkpoint file (it was started without one)';
    }
    if (type === 'checkpoint') return saveNow();
    const read = await onFile(() => readCheckpointFile(checkpointFile));
    if (read.kind === 'none') return 'no checkpoint has been written yet; send checkpoint first';
    if (read.kind === 'invalid') return `the checkpoint file cannot be used (${read.reason})`;
    const result = await trainer.restore(read.checkpoint);
    return result.ok ? null : (result.message ?? 'refused');
  }

  function stats(): DashboardStats {
    return {
      ...registry.stats(),
      seq,
      samples: state.samples,
      step: state.step,
      samplesPerSecond: state.samplesPerSecond,
      snapshotsServed,
      commandsApplied,
      checkpointsWritten,
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
        clearInterval(saver);
        registry.closeAll();
        // The last word on disk is the run as it stops (after any write under way).
        await saving;
        await saveCheckpoint();
        await trainer.stop();
        await new Promise<void>((resolve) => {
          wss.close(() => resolve());
        });
        registry.terminateAll();
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

function checkInterval(ms: number): number {
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 10)) {
    throw new RangeError(
      `checkpointIntervalMs must be a number of milliseconds >= 10, got ${String(ms)}`,
    );
  }
  return ms;
}

/** Hashes a token so the comparison takes the same time whatever its length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function digestOf(token: string | undefined): Buffer | undefined {
  return token === undefined ? undefined : digest(token);
}

function bucketOf(limit: RateLimit): TokenBucket {
  return new TokenBucket(limit.capacity, limit.perSecond);
}
