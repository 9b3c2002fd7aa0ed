import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import type { ServerMessage } from '@adamflow/protocol';
import { WebSocketServer } from 'ws';
import { allowedOrigins } from './allowed-origins.js';
import { BoundedLog, peerText } from './bounded-log.js';
import { readCheckpointFile, setCheckpointAside, writeCheckpointFile } from './checkpoint-file.js';
import { ClientMessages } from './client-messages.js';
import { ClientRegistry, registryOptions } from './client-registry.js';
import { ControlToken } from './control-token.js';
import { answerRequest, type PageContext, refuseUpgrade, respond } from './http-answers.js';
import type { RateLimit } from './rate-limiter.js';
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

export { MAX_TOKEN_LENGTH } from './control-token.js';

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
  const controlToken = new ControlToken(options.token);
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
    registryOptions(options, maxClients, log),
    (client, data, isBinary) => messages.handle(client, data, isBinary),
  );
  const messages = new ClientMessages({
    registry,
    token: controlToken,
    snapshotBudget: options.snapshotBudget ?? { capacity: 20, perSecond: 10 },
    commandBudget: options.commandBudget ?? { capacity: 40, perSecond: 20 },
    snapshot: () => snapshotData(),
    // The server has the checkpoint file: it carries out checkpoint and restore itself.
    command: (_client, command) =>
      command.type === 'checkpoint' || command.type === 'restore'
        ? checkpointCommand(command.type).then((problem) => ({
            ok: problem === null,
            message: problem,
          }))
        : trainer.command(command),
  });
  let seq = 0;
  let cachedSnapshot: { seq: number; data: Buffer } | undefined;

  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  const broadcastMs = 1000 / (options.broadcastHz ?? 30);
  const trainer = new TrainerHost(
    {
      rate: options.rate === undefined ? 1000 : options.rate,
      seed: options.seed ?? 42,
      lr: options.lr ?? 0.01,
      // One update per broadcast tick: frames are merged only when timers drift.
      reportMs: broadcastMs,
    },
    {
      frame: (frame) => state.offer(frame),
      started: (change) => {
        state.start(change);
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
  const tick = setInterval(() => {
    for (const frame of state.take()) {
      const stamped = { ...frame, seq: ++seq, time: now() } as ServerMessage;
      // The view is what was broadcast: a snapshot tells a new client the same story.
      state.commit(stamped);
      registry.broadcast(stamped);
    }
  }, broadcastMs);

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
  const { origins: allowed, hosts } = allowedOrigins(host, port, options.allowedOrigins ?? []);
  for (const allowedHost of hosts) page.allowedHosts.add(allowedHost);

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
      samples: state.view.samples,
      step: state.view.step,
      samplesPerSecond: state.view.samplesPerSecond,
      snapshotsServed: messages.snapshotsServed,
      commandsApplied: messages.commandsApplied,
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

function checkInterval(ms: number): number {
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 10)) {
    throw new RangeError(
      `checkpointIntervalMs must be a number of milliseconds >= 10, got ${String(ms)}`,
    );
  }
  return ms;
}
