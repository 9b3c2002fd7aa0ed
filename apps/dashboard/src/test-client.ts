// Test helper: a real ws client that records every message and waits for one.
import WebSocket from 'ws';

/**
 * How long `next()` waits by default: a bound that only a hang reaches. On a busy
 * machine a message the server sends at once can take seconds to arrive.
 */
export const MESSAGE_TIMEOUT_MS = 60_000;

/** A message as the server sent it, parsed but not checked. */
export type Message = Record<string, unknown>;

export interface Recorder {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  /** Resolves with the first message (from `from` on) that matches; rejects on timeout. */
  next(
    match: (m: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<Record<string, unknown>>;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

export function record(url: string, options: WebSocket.ClientOptions = {}): Promise<Recorder> {
  const ws = new WebSocket(url, options);
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of waiters) wake();
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const recorder: Recorder = {
    ws,
    messages,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(match, timeoutMs = MESSAGE_TIMEOUT_MS, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching message within ${timeoutMs} ms; last: ${JSON.stringify(messages.at(-1))?.slice(0, 300)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(recorder));
    ws.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

/**
 * Matches a message of `type`.
 *
 * @example
 * ```ts
 * const snapshot = await client.next(isType('snapshot'));
 * ```
 */
export const isType =
  (type: string) =>
  (m: Message): boolean =>
    m['type'] === type;

/**
 * Matches the `state-changed` broadcast for `reason` (`pause`, `restore`, `diverged`...).
 *
 * @example
 * ```ts
 * await client.next(stateChanged('pause'));
 * ```
 */
export const stateChanged =
  (reason: string) =>
  (m: Message): boolean =>
    m['type'] === 'state-changed' && m['reason'] === reason;

/**
 * Matches a `params-update` past `samples` samples: the run has trained that far.
 *
 * @example
 * ```ts
 * await client.next(updateBeyond(1000));
 * ```
 */
export const updateBeyond =
  (samples: number) =>
  (m: Message): boolean =>
    m['type'] === 'params-update' && (m['samples'] as number) > samples;

/**
 * Sends `message` with `id` and resolves with the answer that echoes the id (a
 * `command-ack` or an `error`), looking only at what arrives after the send.
 *
 * @example
 * ```ts
 * expect(await command(client, { type: 'pause' }, 'p')).toMatchObject({ type: 'command-ack' });
 * ```
 */
export function command(client: Recorder, message: Message, id: string): Promise<Message> {
  const mark = client.messages.length;
  client.send({ ...message, id });
  return client.next((m) => m['id'] === id, MESSAGE_TIMEOUT_MS, mark);
}

/**
 * Asks for a snapshot (which carries no id) and resolves with it.
 *
 * @example
 * ```ts
 * const { samples } = await snapshot(client);
 * ```
 */
export function snapshot(client: Recorder): Promise<Message> {
  const mark = client.messages.length;
  client.send({ type: 'snapshot-request' });
  return client.next(isType('snapshot'), MESSAGE_TIMEOUT_MS, mark);
}
