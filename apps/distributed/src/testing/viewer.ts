// A WebSocket viewer for the gateway tests: it keeps every frame as text and parsed.
import WebSocket from 'ws';

/** A connected viewer. */
export interface Viewer {
  ws: WebSocket;
  /** Every frame so far, parsed. */
  frames: Array<Record<string, unknown> & { type: string; seq?: number }>;
  /** Every frame so far, as sent. */
  texts: string[];
  /** Resolves once a frame matches (rejects after `timeoutMs` or when the socket closes first). */
  until(
    predicate: (frame: Record<string, unknown> & { type: string; seq?: number }) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a viewer on `url` and resolves once it is open.
 *
 * @example
 * ```ts
 * import { openViewer } from './viewer.js';
 * const viewer = await openViewer('ws://127.0.0.1:8080/ws?session=demo');
 * await viewer.until((frame) => frame.type === 'snapshot');
 * ```
 */
export function openViewer(url: string): Promise<Viewer> {
  const ws = new WebSocket(url);
  const frames: Viewer['frames'] = [];
  const texts: string[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    texts.push(String(data));
    frames.push(JSON.parse(String(data)));
    for (const wake of waiters) wake();
  });
  ws.on('close', () => {
    for (const wake of waiters) wake();
  });
  const viewer: Viewer = {
    ws,
    frames,
    texts,
    until(predicate, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (frames.some(predicate)) {
            finish();
            resolve();
          } else if (ws.readyState === WebSocket.CLOSED) {
            finish();
            reject(new Error(`the viewer closed before the frame came (${frames.length} frames)`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no such frame within ${timeoutMs} ms (${frames.length} frames)`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(viewer));
    ws.once('error', reject);
  });
}
