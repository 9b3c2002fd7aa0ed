import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { dirname } from 'node:path';
import {
  allowedOrigins,
  answerRequest,
  BoundedLog,
  type Client,
  ClientMessages,
  ClientRegistry,
  ControlToken,
  type PageContext,
  parseRequestTarget,
  peerText,
  type RateLimit,
  type RegistryStats,
  refuseUpgrade,
  registryOptions,
  respond,
} from '@adamflow/dashboard/server-kit';
import { CloseCode } from '@adamflow/protocol';
import { WebSocketServer } from 'ws';
import type { NatsContext } from './nats-context.js';
import { type ResumePlan, SessionFeed } from './session-feed.js';
import { SESSION_PATTERN, sessionNames } from './session-names.js';
import { sendCommand } from './trainer-commands.js';

/** Options of {@link startGateway}; all but `nats` have defaults. */
export interface GatewayOptions {
  /** An open NATS context (see `openNats`); the gateway does not close it. */
  nats: NatsContext;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 8080, 0 picks a free one. */
  port?: number;
  /** When set, commands must carry this `token` (viewing never needs it). */
  token?: string | undefined;
  /** Origins allowed besides the gateway's own loopback origins. */
  allowedOrigins?: string[];
  /** Sessions followed at once; a viewer of one more gets HTTP 503. Default 64. */
  maxSessions?: number;
  /** Recent frames kept per session for resuming viewers; default 1024. */
  ringSize?: number;
  /** Frames a resuming viewer may have missed and still be replayed from the stream; default 10 000. */
  maxReplay?: number;
  /** Largest message read from the broker, bytes; default 1 MiB. */
  maxMessageBytes?: number;
  /** A session without viewers is let go after this long, ms; default 30 000. */
  idleMs?: number;
  /** Per-client send-buffer high-water mark in bytes (also the most a resume sends); default 256 KiB. */
  highWaterMark?: number;
  /** A client above the high-water mark this long is closed with 4008. Default 10 s. */
  stuckTimeoutMs?: number;
  /** Ping interval; default 10 s. */
  heartbeatMs?: number;
  /** Client messages per connection; default burst 20, 10/s. */
  rateLimit?: RateLimit;
  /** Open WebSocket connections in all; default 1024. */
  maxClients?: number;
  /** Open WebSocket connections per remote address; default 64. */
  maxConnectionsPerAddress?: number;
  /** New WebSocket connections per remote address; default burst 64, 16/s. */
  connectRate?: RateLimit;
  /** `snapshot-request`s served per second across all clients; default burst 20, 10/s. */
  snapshotBudget?: RateLimit;
  /** Commands passed to trainers per second across all clients; default burst 40, 20/s. */
  commandBudget?: RateLimit;
  /** Wrong control tokens per remote address; default burst 10, 1/s. */
  tokenGuesses?: RateLimit;
  /** How long a command waits for the trainer's answer, ms; default 5000. */
  commandTimeoutMs?: number;
  /** Directory of the built page; default the dashboard's. */
  webRoot?: string;
  /** Where to log; lines are cut and rate limited per kind. Default nowhere. */
  log?: (line: string) => void;
  /**
   * For tests only: a deliberately broken gateway that ignores a viewer's resume
   * position and starts it at the live edge without a snapshot (a silent gap), so a
   * test can show its gap checker catches one. Never set it otherwise.
   */
  brokenResumeForTests?: boolean;
}

/** Live counters, for tests and `/healthz`. */
export interface GatewayStats extends RegistryStats {
  sessions: number;
  snapshotsServed: number;
  commandsApplied: number;
  /** Viewers brought up to date from the ring or the stream on reconnect. */
  resumed: number;
  /** Viewers sent a fresh snapshot because their position could not be replayed. */
  resets: number;
  /** Broker messages skipped as malformed or too large. */
  skippedMessages: number;
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port/`. */
  readonly url: string;
  /** `ws://host:port/ws` (add `?session=NAME`). */
  readonly wsUrl: string;
  readonly port: number;
  stats(): GatewayStats;
  /** Closes every viewer (1001), every session's consumer and the HTTP server. */
  close(): Promise<void>;
}

const MAX_PAYLOAD = 64 * 1024;

/**
 * Starts a gateway: the dashboard's page and `/ws?session=NAME` for any session in
 * NATS, fed from the session's updates stream (see {@link SessionFeed}) and built
 * from the dashboard's own parts (request-target parsing, security headers, origin
 * check, control token, rate limits, and the client registry's broadcast,
 * backpressure and heartbeat). A viewer that reconnects with `&seq=S&epoch=E` gets
 * the frames after `S` or a fresh snapshot. Commands go to the session's trainer by
 * NATS request/reply and come back as `command-ack` or `error`.
 *
 * @param options - {@link GatewayOptions}.
 * @returns the running gateway, once it listens.
 * @example
 * ```ts
 * import { startGateway } from './gateway.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'adamflow-gateway' });
 * const gateway = await startGateway({ nats, port: 0 });
 * console.log(`${gateway.url}?session=demo`);
 * await gateway.close();
 * await nats.close();
 * ```
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { nats } = options;
  const host = options.host ?? '127.0.0.1';
  const logger = new BoundedLog(options.log ?? (() => {}));
  const log = (kind: string, line: string) => logger.write(kind, line);
  const token = new ControlToken(options.token);
  const maxClients = options.maxClients ?? 1024;
  const maxSessions = positiveInteger('maxSessions', options.maxSessions ?? 64);
  const ringSize = positiveInteger('ringSize', options.ringSize ?? 1024);
  const maxReplay = positiveInteger('maxReplay', options.maxReplay ?? 10_000);
  const maxMessageBytes = positiveInteger(
    'maxMessageBytes',
    options.maxMessageBytes ?? 1024 * 1024,
  );
  const highWaterMark = options.highWaterMark ?? 256 * 1024;
  const idleMs = options.idleMs ?? 30_000;
  const counters = { resumed: 0, resets: 0, skippedMessages: 0 };
  const registry = new ClientRegistry(
    registryOptions(options, maxClients, log),
    (client, data, isBinary) => messages.handle(client, data, isBinary),
  );
  const feeds = new Map<
    string,
    { feed: Promise<SessionFeed | undefined>; idleSince: number | null }
  >();
  const messages = new ClientMessages({
    registry,
    token,
    snapshotBudget: options.snapshotBudget ?? { capacity: 20, perSecond: 10 },
    commandBudget: options.commandBudget ?? { capacity: 40, perSecond: 20 },
    snapshot: (client) => snapshotOf(client),
    command: (client, command) =>
      sendCommand(nats.nc, sessionNames(client.topic), command, options.commandTimeoutMs ?? 5000),
  });
  const snapshots = new Map<string, SessionFeed>();
  function snapshotOf(client: Client): Buffer {
    const feed = snapshots.get(client.topic);
    // A viewer's session is open while it is connected; this is only a safeguard.
    return feed ? feed.snapshot(registry.count(client.topic)) : Buffer.from('{}');
  }

  /** The session's feed, opened on first use; undefined when it is unknown or the gateway is full. */
  function feedOf(session: string): Promise<SessionFeed | undefined> | 'full' {
    const entry = feeds.get(session);
    if (entry) {
      entry.idleSince = null;
      return entry.feed;
    }
    if (feeds.size >= maxSessions) return 'full';
    const feed = SessionFeed.open(nats, session, {
      ringSize,
      maxReplay,
      replayBytes: highWaterMark,
      maxMessageBytes,
      maxFetches: 8,
      broadcast: (data) => registry.broadcast(data, session),
      ended: (reason) => {
        log('session-ended', `session ${session}: ${reason}; its viewers reconnect`);
        drop(session);
        registry.closeTopic(session, CloseCode.GOING_AWAY, 'session feed ended');
      },
      log: (kind, line) => {
        if (kind === 'broker-message-invalid') counters.skippedMessages++;
        log(kind, line);
      },
    }).then(
      (opened) => {
        if (opened) snapshots.set(session, opened);
        else feeds.delete(session);
        return opened;
      },
      (error: unknown) => {
        feeds.delete(session);
        throw error;
      },
    );
    feeds.set(session, { feed, idleSince: null });
    return feed;
  }

  function drop(session: string): void {
    const entry = feeds.get(session);
    feeds.delete(session);
    snapshots.delete(session);
    void entry?.feed.then(
      (feed) => feed?.close(),
      () => {},
    );
  }

  // Sessions nobody watches are let go, so the session limit bounds what is followed now.
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [session, entry] of feeds) {
        if (registry.count(session) > 0) entry.idleSince = null;
        else if (entry.idleSince === null) entry.idleSince = now;
        else if (now - entry.idleSince >= idleMs) drop(session);
      }
    },
    Math.max(50, Math.min(idleMs / 2, 5000)),
  );

  const webRoot =
    options.webRoot ?? dirname(createRequire(import.meta.url).resolve('@adamflow/dashboard/web'));
  const page: PageContext = { webRoot, allowedHosts: new Set(), stats: () => stats(), log };
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
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 8080, host, () => resolve());
    });
  } catch (error) {
    clearInterval(sweeper);
    registry.closeAll();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  const { origins, hosts } = allowedOrigins(host, port, options.allowedOrigins ?? []);
  for (const allowedHost of hosts) page.allowedHosts.add(allowedHost);

  let shuttingDown = false;
  http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    onUpgrade(request, socket, head).catch((error: unknown) => {
      log('upgrade-error', `upgrade failed: ${peerText(String((error as Error)?.message))}`);
      if (socket.writable) refuseUpgrade(socket, 503, 'Service Unavailable', 'Retry-After: 5\r\n');
      socket.destroy();
    });
  });

  async function onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    if (shuttingDown) return refuseUpgrade(socket, 503, 'Service Unavailable');
    const target = parseRequestTarget(request.url);
    if (!target.ok) {
      return refuseUpgrade(
        socket,
        target.status,
        target.status === 414 ? 'URI Too Long' : 'Bad Request',
      );
    }
    if (target.path !== '/ws') return refuseUpgrade(socket, 404, 'Not Found');
    const query = readQuery(request.url ?? '');
    if (query === undefined) return refuseUpgrade(socket, 400, 'Bad Request');
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.has(origin)) {
      log('origin-refused', `refused a WebSocket from origin ${peerText(origin)}`);
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    const refusal = registry.admit(socket);
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.text, 'Retry-After: 5\r\n');
    const pending = feedOf(query.session);
    if (pending === 'full') {
      log('sessions-full', `refused a WebSocket: ${maxSessions} sessions followed`);
      return refuseUpgrade(socket, 503, 'Service Unavailable', 'Retry-After: 5\r\n');
    }
    const feed = await pending;
    if (feed === undefined) return refuseUpgrade(socket, 404, 'Not Found');
    const plan: ResumePlan | undefined =
      query.seq === undefined
        ? undefined
        : options.brokenResumeForTests
          ? { kind: 'replay', frames: [] }
          : await feed.resume(query.seq, query.epoch ?? '');
    if (shuttingDown || socket.destroyed) {
      socket.destroy();
      return;
    }
    // From here on nothing awaits: the replayed frames end where the broadcast goes on.
    wss.handleUpgrade(request, socket, head, (ws) => {
      const client = registry.add(ws, socket, query.session);
      if (plan?.kind === 'replay') {
        counters.resumed++;
        for (const frame of plan.frames) registry.send(client, frame);
        return;
      }
      if (plan) {
        counters.resets++;
        log(
          'viewer-reset',
          `session ${query.session}: a viewer resumed with a fresh snapshot (${plan.reason})`,
        );
      }
      registry.send(client, feed.snapshot(registry.count(query.session)));
    });
  }

  function stats(): GatewayStats {
    return {
      ...registry.stats(),
      sessions: feeds.size,
      snapshotsServed: messages.snapshotsServed,
      commandsApplied: messages.commandsApplied,
      ...counters,
    };
  }

  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}/`,
    wsUrl: `ws://${hostForUrl}:${port}/ws`,
    port,
    stats,
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        clearInterval(sweeper);
        registry.closeAll();
        for (const session of [...feeds.keys()]) drop(session);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        registry.terminateAll();
        http.closeAllConnections();
        await httpClosed;
        logger.flush();
      })();
      return closing;
    },
  };
}

/** `session` (required), and `seq` with `epoch` (a resume), from a request target; undefined when malformed. */
function readQuery(target: string): { session: string; seq?: number; epoch?: string } | undefined {
  const at = target.indexOf('?');
  const query = new URLSearchParams(at === -1 ? '' : target.slice(at + 1));
  const session = query.get('session');
  if (session === null || !SESSION_PATTERN.test(session)) return undefined;
  const seqText = query.get('seq');
  const epoch = query.get('epoch');
  if (seqText === null) return { session };
  const seq = Number(seqText);
  if (!/^\d{1,15}$/.test(seqText) || epoch === null || epoch.length > 64) return undefined;
  return { session, seq, epoch };
}

function positiveInteger(name: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    throw new RangeError(`${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}
