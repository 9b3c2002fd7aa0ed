// Test helper: a real ws client that records every message and waits for one.
import WebSocket from 'ws';

/**
 * How long `next()` waits by default: a bound that only a hang reaches. On a busy
 * machine a message the server sends at once can take seconds to arrive.
 */
export const MESSAGE_TIMEOUT_MS = 60_000;

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
