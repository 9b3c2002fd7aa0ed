import {
  BehaviorSubject,
  defer,
  filter,
  firstValueFrom,
  map,
  Observable,
  repeat,
  retry,
  share,
  take,
  tap,
  throwError,
  timeout,
  timer,
} from 'rxjs';
import { type WebSocketSubject, webSocket } from 'rxjs/webSocket';
import { backoffDelay } from './backoff-delay.js';
import { ClientError, ClientErrorCode } from './client-error.js';
import {
  type ClientMessage,
  type Command,
  type CommandAck,
  type ErrorMessage,
  parseClientMessage,
  parseServerMessage,
  type ServerMessage,
} from './messages.js';

/** Where a connection is. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /**
   * The WebSocket constructor. Browsers have one; in Node 20 pass `ws`'s:
   * `import WebSocket from 'ws'`.
   */
  WebSocket?: unknown;
  /** The control token, when the server requires one for commands. */
  token?: string;
  /**
   * Ceiling of the first reconnect delay in ms; it doubles per failed attempt (equal
   * jitter: between half the ceiling and the ceiling) and starts again from here after
   * a connection that opened. Default 250.
   */
  initialDelay?: number;
  /** Largest reconnect ceiling in ms; default 10 000. */
  maxDelay?: number;
  /** Most commands held while the socket is not open; default 64. */
  maxQueue?: number;
  /** How long {@link DashboardClient.request} waits for its answer, in ms; default 10 000. */
  requestTimeout?: number;
  /**
   * Resume on reconnect: when the server's snapshot named an `epoch` (a gateway does),
   * reconnect with `seq` and `epoch` in the URL's query, so the server replays the
   * missed frames instead of sending a snapshot. Default true; a server without an
   * epoch is never asked.
   */
  resume?: boolean;
}

/** Options of {@link DashboardClient.request}. */
export interface RequestOptions {
  /** How long to wait for the answer, in ms; default the client's `requestTimeout`. */
  timeout?: number;
}

/** A live connection: messages in, commands out. */
export interface DashboardClient {
  /**
   * Every server message, validated. Hot and shared: the socket opens with the first
   * subscriber and closes with the last. It reconnects with exponential backoff and
   * the server's snapshot on reconnect resyncs it; a gap in `seq` triggers a
   * `snapshot-request`: one at a time (asked again only once a snapshot came, or after
   * `requestTimeout` without one), and not for the gap right after a snapshot (the
   * frames the server skipped while the snapshot filled the socket: asking again would
   * bring another snapshot as large, skipped past in turn).
   */
  readonly messages: Observable<ServerMessage>;
  /** The connection status, starting with `'connecting'`. */
  readonly status: Observable<ConnectionStatus>;
  /**
   * Sends a message (validated here first; an invalid one throws `TypeError`). While the
   * socket is not open it waits in a queue, sent in order once a socket opens (after a
   * reconnect too; the socket opens only while `messages` has a subscriber). Throws a
   * {@link ClientError} `ADAMFLOW_ERR_QUEUE_FULL` when `maxQueue` messages already wait.
   */
  send(message: ClientMessage): void;
  /**
   * Sends a command with an `id` (its own, or a fresh one) and resolves with the
   * server's `command-ack` for that id. Rejects with a {@link ClientError}: the
   * server's code when it refused the command, `ADAMFLOW_ERR_TIMEOUT`,
   * `ADAMFLOW_ERR_CONNECTION_CLOSED` (the socket closed after the command went out: it
   * may or may not have been applied, and it is not sent again), or
   * `ADAMFLOW_ERR_QUEUE_FULL`. Keeps the socket open until it settles. An invalid
   * command, or an `id` already waiting, throws `TypeError`.
   */
  request(command: Command, options?: RequestOptions): Promise<CommandAck>;
}

/** A message waiting for, or written to, the socket. */
interface Outgoing {
  message: ClientMessage;
  /** Called once the message is written to an open socket. */
  written?: () => void;
}

/**
 * Connects to an adamflow dashboard's WebSocket (`ws://host:port/ws`).
 *
 * @param url - the WebSocket URL.
 * @param options - {@link ConnectOptions}.
 * @returns a {@link DashboardClient}.
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * import { connect } from '@adamflow/protocol';
 * const client = connect('ws://127.0.0.1:8080/ws', { WebSocket });
 * client.messages.subscribe((m) => m.type === 'params-update' && console.log(m.step, m.params));
 * const ack = await client.request({ type: 'set-lr', lr: 0.005 });
 * ```
 */
export function connect(url: string, options: ConnectOptions = {}): DashboardClient {
  const WebSocketCtor = (options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket) as
    | (new (
        url: string,
        protocols?: string | string[],
      ) => WebSocket)
    | undefined;
  if (typeof WebSocketCtor !== 'function') {
    throw new TypeError("connect: no WebSocket here; in Node pass { WebSocket } from 'ws'");
  }
  const initialDelay = positive('connect', 'initialDelay', options.initialDelay ?? 250);
  const maxDelay = positive('connect', 'maxDelay', options.maxDelay ?? 10_000);
  const maxQueue = positive('connect', 'maxQueue', options.maxQueue ?? 64);
  const requestTimeout = positive('connect', 'requestTimeout', options.requestTimeout ?? 10_000);
  const status = new BehaviorSubject<ConnectionStatus>('connecting');
  const queue: Outgoing[] = [];
  /** Requests written to the open socket, each with how to fail it when that socket closes. */
  const inFlight = new Map<Outgoing, (error: ClientError) => void>();
  const waitingIds = new Set<string>();
  /** The newest socket, and whether it is open; an older one's late events are ignored. */
  let latest: WebSocketSubject<unknown> | undefined;
  let open = false;
  /** Reconnect attempts since the last open: the backoff starts over after a good connection. */
  let attempt = 0;
  let requests = 0;
  /** The last frame's `seq` and the snapshot's `epoch`: where to resume on reconnect. */
  let lastSeq = -1;
  let epoch: string | undefined;
  const resume = options.resume ?? true;
  /** When the outstanding `snapshot-request` went out (null: none out). */
  let snapshotAskedAt: number | null = null;
  /** Whether the last message was a snapshot: the gap after one is not asked about. */
  let afterSnapshot = false;

  const reconnectDelay = () => timer(backoffDelay(++attempt, initialDelay, maxDelay));

  const messages = defer(() => {
    if (status.value === 'closed') status.next('connecting');
    const current = webSocket<unknown>({
      url: resume && epoch !== undefined && lastSeq >= 0 ? resumeUrl(url, lastSeq, epoch) : url,
      WebSocketCtor,
      openObserver: {
        next: () => {
          if (current !== latest) return;
          attempt = 0;
          open = true;
          status.next('open');
          flush(current);
        },
      },
      closeObserver: {
        next: () => {
          if (current !== latest) return;
          open = false;
          status.next('reconnecting');
          const failures = [...inFlight.values()];
          inFlight.clear();
          const text =
            'the connection closed before the answer came; the command may have been applied';
          for (const fail of failures)
            fail(new ClientError(ClientErrorCode.CONNECTION_CLOSED, text));
        },
      },
      // Invalid frames become undefined and are dropped below, rather than erroring
      // the stream and forcing a reconnect.
      deserializer: (event) => {
        try {
          return parseServerMessage(JSON.parse(String(event.data)));
        } catch {
          return undefined;
        }
      },
    });
    latest = current;
    open = false;
    // A new socket starts from a snapshot (or a resume): nothing is asked of it yet.
    snapshotAskedAt = null;
    afterSnapshot = false;
    return current.pipe(
      filter((message): message is ServerMessage => message !== undefined),
      // A frame at or before the last one seen (replayed twice) is dropped.
      filter(
        (message) =>
          message.type === 'snapshot' ||
          !('seq' in message) ||
          lastSeq < 0 ||
          message.seq > lastSeq,
      ),
      tap((message) => {
        if (message.type === 'snapshot') {
          lastSeq = message.seq;
          epoch = message.epoch;
          snapshotAskedAt = null;
          afterSnapshot = true;
        } else if ('seq' in message) {
          const gap = lastSeq >= 0 && message.seq > lastSeq + 1;
          const asked =
            snapshotAskedAt !== null && performance.now() - snapshotAskedAt < requestTimeout;
          if (gap && !asked && !afterSnapshot) {
            snapshotAskedAt = performance.now();
            current.next({ type: 'snapshot-request' });
          }
          afterSnapshot = false;
          lastSeq = message.seq;
        }
      }),
    );
  }).pipe(
    retry({ delay: reconnectDelay }),
    repeat({ delay: reconnectDelay }),
    share({
      // The socket is let go a macrotask after the last unsubscribe, so a subscriber that
      // comes right back (a request after an await) keeps it.
      resetOnRefCountZero: () =>
        timer(0).pipe(
          tap(() => {
            latest = undefined;
            open = false;
            attempt = 0;
            // A later subscriber has seen nothing: it starts from a snapshot.
            lastSeq = -1;
            epoch = undefined;
            status.next('closed');
          }),
        ),
    }),
  );

  /** Writes what waited, in order, to a socket that just opened. */
  function flush(socket: WebSocketSubject<unknown>): void {
    for (let item = queue.shift(); item; item = queue.shift()) {
      socket.next(item.message);
      item.written?.();
    }
  }

  function write(item: Outgoing): void {
    if (open && latest) {
      latest.next(item.message);
      item.written?.();
    } else if (queue.length >= maxQueue) {
      const text = `${maxQueue} messages already wait for the connection to open; retry once it is open (see status)`;
      throw new ClientError(ClientErrorCode.QUEUE_FULL, text, item.message.id ?? null);
    } else queue.push(item);
  }

  function validate(caller: string, message: ClientMessage): ClientMessage {
    const withToken = options.token ? { ...message, token: options.token } : message;
    const parsed = parseClientMessage(withToken);
    if (!parsed.ok) throw new TypeError(`${caller}: ${parsed.message}`);
    return parsed.value;
  }

  function request(command: Command, requestOptions: RequestOptions = {}): Promise<CommandAck> {
    const wait = positive('request', 'timeout', requestOptions.timeout ?? requestTimeout);
    const id = command.id ?? `request-${++requests}`;
    const message = validate('request', { ...command, id });
    if (waitingIds.has(id)) {
      throw new TypeError(`request: id "${id}" is still waiting for its answer; use another id`);
    }
    const answer = messages.pipe(
      filter(
        (m): m is CommandAck | ErrorMessage =>
          (m.type === 'command-ack' || m.type === 'error') && m.id === id,
      ),
      take(1),
      map((m) => {
        if (m.type === 'error') throw new ClientError(m.code, m.message, id);
        return m;
      }),
      timeout({
        first: wait,
        with: () => {
          const text = `no answer to ${command.type} (id "${id}") within ${wait} ms`;
          return throwError(() => new ClientError(ClientErrorCode.TIMEOUT, text, id));
        },
      }),
    );
    const outcome = new Observable<CommandAck>((subscriber) => {
      waitingIds.add(id);
      const item: Outgoing = { message };
      item.written = () =>
        inFlight.set(item, (error) =>
          subscriber.error(new ClientError(error.code, error.message, id)),
        );
      // Listen before writing, so the answer cannot slip past.
      const subscription = answer.subscribe(subscriber);
      try {
        write(item);
      } catch (error) {
        subscriber.error(error);
      }
      return () => {
        subscription.unsubscribe();
        waitingIds.delete(id);
        inFlight.delete(item);
        // A request that gave up is not sent later.
        const index = queue.indexOf(item);
        if (index >= 0) queue.splice(index, 1);
      };
    });
    return firstValueFrom(outcome);
  }

  return {
    messages,
    status: status.asObservable(),
    send: (message) => write({ message: validate('send', message) }),
    request,
  };
}

/** `url` with `seq` and `epoch` set in its query (kept apart from any `session`). */
function resumeUrl(url: string, seq: number, epoch: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('seq', String(seq));
  parsed.searchParams.set('epoch', epoch);
  return parsed.toString();
}

function positive(caller: string, name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${caller}: ${name} must be a positive finite number, got ${value}`);
  }
  return value;
}
