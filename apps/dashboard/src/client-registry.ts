import type { Socket } from 'node:net';
import { CloseCode, ErrorCode } from '@adamflow/protocol';
import { type RawData, WebSocket } from 'ws';
import { type AddressLimits, AddressTable } from './address-table.js';
import { type RateLimit, TokenBucket } from './rate-limiter.js';

/** Options of {@link ClientRegistry}. */
export interface ClientRegistryOptions {
  /** Per-client send-buffer high-water mark in bytes; above it frames are skipped. */
  highWaterMark: number;
  /** A client above the high-water mark this long is closed with 4008. */
  stuckTimeoutMs: number;
  /** Ping interval; a peer that has not answered the previous ping is terminated. */
  heartbeatMs: number;
  /** Messages (and pings) per connection. */
  rateLimit: RateLimit;
  /** Open connections in all. */
  maxClients: number;
  /** What is remembered per remote address. */
  addresses: AddressLimits;
  /** Where to log, by kind (see BoundedLog). */
  log: (kind: string, line: string) => void;
}

/** The per-connection and per-address limits a server takes, each optional (see {@link registryOptions}). */
export interface ConnectionLimits {
  highWaterMark?: number;
  stuckTimeoutMs?: number;
  heartbeatMs?: number;
  rateLimit?: RateLimit;
  maxConnectionsPerAddress?: number;
  connectRate?: RateLimit;
  tokenGuesses?: RateLimit;
}

/**
 * A registry's options from a server's optional limits, with the defaults every server
 * shares (the dashboard and the gateway alike): 256 KiB high-water mark, 10 s stuck
 * timeout and heartbeat, 20 messages burst at 10/s per connection, 64 connections and
 * 16 new ones a second (burst 64) per address, 10 wrong tokens then 1/s per address.
 *
 * @param limits - the server's options; absent fields take the defaults.
 * @param maxClients - open connections in all.
 * @param log - where to log, by kind.
 * @returns the options for {@link ClientRegistry}.
 * @example
 * ```ts
 * const registry = new ClientRegistry(registryOptions({ heartbeatMs: 5000 }, 1024, log), onMessage);
 * ```
 */
export function registryOptions(
  limits: ConnectionLimits,
  maxClients: number,
  log: (kind: string, line: string) => void,
): ClientRegistryOptions {
  return {
    highWaterMark: limits.highWaterMark ?? 256 * 1024,
    stuckTimeoutMs: limits.stuckTimeoutMs ?? 10_000,
    heartbeatMs: limits.heartbeatMs ?? 10_000,
    rateLimit: limits.rateLimit ?? { capacity: 20, perSecond: 10 },
    maxClients,
    addresses: {
      connections: limits.maxConnectionsPerAddress ?? 64,
      connects: limits.connectRate ?? { capacity: 64, perSecond: 16 },
      tokenChecks: limits.tokenGuesses ?? { capacity: 10, perSecond: 1 },
      addresses: 10_000,
    },
    log,
  };
}

/** One connected client. */
export interface Client {
  readonly ws: WebSocket;
  readonly address: string;
  alive: boolean;
  readonly bucket: TokenBucket;
  stuckSince: number | null;
  violations: number;
  /** Which broadcasts it receives (a gateway's session); '' for the one run of a dashboard. */
  readonly topic: string;
}

// A client and the socket its WebSocket runs on, which broadcasts write to directly.
interface Member extends Client {
  readonly socket: Socket;
}

/** Why an upgrade is refused, as an HTTP status line. */
export interface Refusal {
  status: 429 | 503;
  text: string;
}

/** Counters for `/healthz`, tests and benchmarks. */
export interface RegistryStats {
  clients: number;
  broadcasts: number;
  skippedFrames: number;
  /** How long the last broadcast loop took (serialize once, send to every client), ms. */
  lastBroadcastMs: number;
  /** The largest send buffer any client has had right after a send, in bytes. */
  maxBufferedAmount: number;
}

// Spelled out so ws skips its per-call option defaults; text frames, no compression.
const SEND_OPTIONS = { binary: false, compress: false, fin: true } as const;
const NO_CLIENTS: ReadonlySet<Member> = new Set();
// Rate-limited messages a client may keep sending before it is closed with 4009.
const MAX_VIOLATIONS = 50;

/**
 * The connected WebSocket clients and everything that bounds them: admission (per
 * address and in all), a per-connection rate limit on messages and pings, the
 * ping/pong heartbeat, and backpressure (a high-water mark per client, latest wins,
 * 4008 when stuck). A broadcast is serialized and framed once, and that one buffer is
 * written to every client's socket (no per-client copy, header or JSON). It does not
 * know what the messages mean or where broadcasts come from: the owner passes
 * accepted messages to its handler and calls {@link ClientRegistry.broadcast}.
 *
 * @example
 * ```ts
 * const registry = new ClientRegistry(options, (client, data) => handle(client, data));
 * const refusal = registry.admit(socket);
 * if (!refusal) wss.handleUpgrade(request, socket, head, (ws) => registry.add(ws, socket));
 * registry.broadcast({ type: 'params-update', ... });
 * ```
 */
export class ClientRegistry {
  private readonly clients = new Map<WebSocket, Member>();
  private readonly topics = new Map<string, Set<Member>>();
  private readonly addresses: AddressTable;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private pendingUpgrades = 0;
  // Admitted upgrades not yet added: how to stop counting each as pending.
  private readonly settlers = new WeakMap<Socket, () => void>();
  private broadcasts = 0;
  private skippedFrames = 0;
  private lastBroadcastMs = 0;
  private maxBufferedAmount = 0;

  constructor(
    private readonly options: ClientRegistryOptions,
    private readonly onMessage: (client: Client, data: RawData, isBinary: boolean) => void,
  ) {
    this.addresses = new AddressTable(options.addresses);
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
  }

  /**
   * Admits an upgrade from `socket` (counted against its address until the socket
   * closes), or says why not. Call before `handleUpgrade`.
   */
  admit(socket: Socket): Refusal | undefined {
    if (this.clients.size + this.pendingUpgrades >= this.options.maxClients) {
      this.options.log(
        'clients-full',
        `refused a WebSocket: ${this.options.maxClients} clients connected`,
      );
      return { status: 503, text: 'Service Unavailable' };
    }
    const address = socket.remoteAddress ?? 'unknown';
    if (!this.addresses.admit(address)) {
      this.options.log(
        'address-full',
        `refused a WebSocket: too many connections from one address`,
      );
      return { status: 429, text: 'Too Many Requests' };
    }
    // The socket outlives the upgrade (it carries the WebSocket), so its close is the
    // one moment the address's connection ends, whatever happened in between.
    socket.once('close', () => this.addresses.release(address));
    this.pendingUpgrades++;
    let settled = false;
    const settle = () => {
      if (!settled) this.pendingUpgrades--;
      settled = true;
    };
    socket.once('close', settle);
    this.settlers.set(socket, settle);
    return undefined;
  }

  /**
   * Registers an upgraded connection; its messages go to the handler, within the rate
   * limit. It receives the broadcasts to `topic` (default '': the only one).
   */
  add(ws: WebSocket, socket: Socket, topic = ''): Client {
    this.settlers.get(socket)?.();
    this.settlers.delete(socket);
    const { rateLimit, log } = this.options;
    const client: Member = {
      ws,
      socket,
      address: socket.remoteAddress ?? 'unknown',
      alive: true,
      bucket: new TokenBucket(rateLimit.capacity, rateLimit.perSecond),
      stuckSince: null,
      violations: 0,
      topic,
    };
    this.clients.set(ws, client);
    let members = this.topics.get(topic);
    if (!members) this.topics.set(topic, (members = new Set()));
    members.add(client);
    ws.on('error', (error) =>
      log('client-error', `client socket error: ${error.message.slice(0, 120)}`),
    );
    ws.on('pong', () => {
      client.alive = true;
    });
    // ws answers every ping by itself; without this a steady ping stream would cost a
    // frame each way with no limit. Pings draw on the same bucket as messages.
    ws.on('ping', () => {
      if (!client.bucket.take()) this.violation(client, false);
    });
    ws.on('close', () => this.remove(client));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (client.bucket.take()) this.onMessage(client, data, isBinary);
      else this.violation(client, true);
    });
    return client;
  }

  /** Whether `address` may have a control token checked now (see AddressTable). */
  mayCheckToken(address: string): boolean {
    return this.addresses.mayCheckToken(address);
  }

  /** Charges a wrong control token to `address`. */
  tokenFailed(address: string): void {
    this.addresses.tokenFailed(address);
  }

  /** Whether `client`'s send buffer is above the high-water mark (what it is sent now is skipped). */
  backedUp(client: Client): boolean {
    return client.ws.bufferedAmount > this.options.highWaterMark;
  }

  /** Sends one message (or an already serialized one) to one client, unless it is backed up. */
  send(client: Client, message: object | Buffer): void {
    const { ws } = client;
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > this.options.highWaterMark) return;
    ws.send(Buffer.isBuffer(message) ? message : JSON.stringify(message), SEND_OPTIONS);
    this.noteBuffered(ws);
  }

  /**
   * Serializes `message` once (unless it is already), frames it once as a WebSocket
   * text message, and writes that one buffer to every client of `topic` (default '')
   * that can take it (latest wins).
   */
  broadcast(message: object | Buffer, topic = ''): void {
    const members = this.topics.get(topic) ?? NO_CLIENTS;
    const t = performance.now();
    this.broadcasts++;
    if (members.size === 0) {
      this.lastBroadcastMs = 0;
      return;
    }
    const frame = textFrame(
      Buffer.isBuffer(message) ? message : Buffer.from(JSON.stringify(message)),
    );
    const { highWaterMark, stuckTimeoutMs, log } = this.options;
    for (const client of members) {
      const { ws, socket } = client;
      if (ws.readyState !== WebSocket.OPEN || !socket.writable) continue;
      if (ws.bufferedAmount > highWaterMark) {
        this.skippedFrames++;
        client.stuckSince ??= t;
        if (t - client.stuckSince > stuckTimeoutMs) {
          log('client-stuck', 'closing a client stuck above the high-water mark');
          ws.close(CloseCode.TOO_SLOW, 'too slow: send buffer full');
          setTimeout(() => ws.terminate(), 1000).unref();
        }
        continue;
      }
      client.stuckSince = null;
      // ws writes each of its own frames (pings, closes, sends) whole and at once
      // (compression is off), so a frame written here never lands inside one of them;
      // what the kernel does not take yet counts in ws.bufferedAmount all the same.
      socket.write(frame);
      this.noteBuffered(ws);
    }
    this.lastBroadcastMs = performance.now() - t;
  }

  /** Connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Connected clients of `topic`. */
  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  /** Closes every client of `topic` with `code` (a gateway's session that ended). */
  closeTopic(topic: string, code: number, reason: string): void {
    for (const client of this.topics.get(topic) ?? []) client.ws.close(code, reason);
  }

  stats(): RegistryStats {
    return {
      clients: this.clients.size,
      broadcasts: this.broadcasts,
      skippedFrames: this.skippedFrames,
      lastBroadcastMs: this.lastBroadcastMs,
      maxBufferedAmount: this.maxBufferedAmount,
    };
  }

  /** Stops the heartbeat and closes every client with 1001. */
  closeAll(): void {
    clearInterval(this.heartbeat);
    for (const ws of this.clients.keys()) ws.close(CloseCode.GOING_AWAY, 'server shutting down');
  }

  /** Drops whoever is left without a closing handshake. */
  terminateAll(): void {
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
    this.topics.clear();
  }

  private violation(client: Client, answer: boolean): void {
    if (++client.violations > MAX_VIOLATIONS) {
      client.ws.close(CloseCode.POLICY_VIOLATION, 'rate limit exceeded repeatedly');
    } else if (answer) {
      this.send(client, {
        type: 'error',
        code: ErrorCode.RATE_LIMITED,
        message: `too many messages; at most ${this.options.rateLimit.perSecond} per second`,
        id: null,
      });
    }
  }

  private beat(): void {
    for (const [ws, client] of this.clients) {
      if (!client.alive) {
        this.options.log('heartbeat', 'terminating a peer that missed a heartbeat');
        ws.terminate();
        this.remove(client);
        continue;
      }
      client.alive = false;
      ws.ping();
    }
  }

  private remove(client: Member): void {
    this.clients.delete(client.ws);
    const members = this.topics.get(client.topic);
    members?.delete(client);
    if (members?.size === 0) this.topics.delete(client.topic);
  }

  private noteBuffered(ws: WebSocket): void {
    if (ws.bufferedAmount > this.maxBufferedAmount) this.maxBufferedAmount = ws.bufferedAmount;
  }
}

/**
 * `payload` as one final, unmasked, uncompressed WebSocket text frame (RFC 6455
 * section 5.2): what a server sends, built once per broadcast.
 *
 * @param payload - the message, UTF-8.
 * @returns the frame: its head, then `payload` copied.
 * @example
 * ```ts
 * textFrame(Buffer.from('{}')); // <Buffer 81 02 7b 7d>
 * ```
 */
export function textFrame(payload: Buffer): Buffer {
  const { length } = payload;
  const head = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = 0x81; // FIN + text
  if (head === 2) frame[1] = length;
  else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, head);
  return frame;
}
