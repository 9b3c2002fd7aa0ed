import {
  BehaviorSubject,
  defer,
  filter,
  type Observable,
  repeat,
  retry,
  share,
  tap,
  timer,
} from 'rxjs';
import { type WebSocketSubject, webSocket } from 'rxjs/webSocket';
import {
  type ClientMessage,
  type Command,
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
  /** First reconnect delay in ms (doubles per failed attempt, with jitter); default 250. */
  initialDelay?: number;
  /** Longest reconnect delay in ms; default 10 000. */
  maxDelay?: number;
}

/** A live connection: messages in, commands out. */
export interface DashboardClient {
  /**
   * Every server message, validated. Hot and shared: the socket opens with the first
   * subscriber and closes with the last. It reconnects with exponential backoff and
   * the server's snapshot on reconnect resyncs it; a gap in `seq` triggers a
   * `snapshot-request`.
   */
  readonly messages: Observable<ServerMessage>;
  /** The connection status, starting with `'connecting'`. */
  readonly status: Observable<ConnectionStatus>;
  /**
   * Sends a command (validated here first; an invalid one throws `TypeError`).
   * Dropped silently while disconnected: the next snapshot shows the true state.
   */
  send(command: Command | { type: 'snapshot-request'; id?: string; token?: string }): void;
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
 * client.send({ type: 'set-lr', lr: 0.005 });
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
  const initialDelay = options.initialDelay ?? 250;
  const maxDelay = options.maxDelay ?? 10_000;
  const backoff = (attempt: number) =>
    Math.min(maxDelay, initialDelay * 2 ** Math.max(0, attempt - 1)) * (0.75 + Math.random() * 0.5);
  const status = new BehaviorSubject<ConnectionStatus>('connecting');
  let socket: WebSocketSubject<unknown> | undefined;
  let open = false;

  const messages = defer(() => {
    const current = webSocket<unknown>({
      url,
      WebSocketCtor,
      openObserver: {
        next: () => {
          open = true;
          status.next('open');
        },
      },
      closeObserver: {
        next: () => {
          open = false;
          status.next('reconnecting');
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
    socket = current;
    let lastSeq = -1;
    return current.pipe(
      filter((message): message is ServerMessage => message !== undefined),
      tap((message) => {
        if (message.type === 'snapshot') lastSeq = message.seq;
        else if ('seq' in message) {
          if (lastSeq >= 0 && message.seq > lastSeq + 1) current.next({ type: 'snapshot-request' });
          lastSeq = message.seq;
        }
      }),
    );
  }).pipe(
    retry({ delay: (_error, attempt) => timer(backoff(attempt)), resetOnSuccess: true }),
    repeat({ delay: (count) => timer(backoff(count)) }),
    share({
      resetOnRefCountZero: () => {
        status.next('closed');
        return timer(0);
      },
    }),
  );

  return {
    messages,
    status: status.asObservable(),
    send(command) {
      const message: ClientMessage = options.token ? { ...command, token: options.token } : command;
      const parsed = parseClientMessage(message);
      if (!parsed.ok) throw new TypeError(`send: ${parsed.message}`);
      if (open) socket?.next(parsed.value);
    },
  };
}
