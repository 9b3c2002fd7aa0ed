import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseRequestTarget } from './request-target.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { serveStatic } from './static-files.js';

const ALLOW = 'GET, HEAD';

/** What {@link answerRequest} needs from the server. */
export interface PageContext {
  /** Absolute directory of the built page. */
  webRoot: string;
  /** `Host` values (lower case, with port) for which `/healthz` answers. */
  allowedHosts: Set<string>;
  /** The counters `/healthz` returns. */
  stats: () => object;
  /** Where to log, by kind (see BoundedLog). */
  log: (kind: string, line: string) => void;
}

/**
 * Answers a plain HTTP request: the page's files and `/healthz`, `GET` and `HEAD`
 * only (405 with `Allow` otherwise), malformed targets 400/414, `/healthz` only for
 * an allowed `Host` (against DNS rebinding), 503 when a file cannot be opened (at the
 * descriptor limit). Every answer carries {@link SECURITY_HEADERS}.
 *
 * @returns once the answer is under way; rejects only on a bug (the caller answers 500).
 * @example
 * ```ts
 * createServer((request, response) => void answerRequest(request, response, context));
 * ```
 */
export async function answerRequest(
  request: IncomingMessage,
  response: ServerResponse,
  context: PageContext,
): Promise<void> {
  const target = parseRequestTarget(request.url);
  if (!target.ok) return respond(response, target.status, `refused: ${target.reason}\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return respond(response, 405, `only ${ALLOW}\n`, { allow: ALLOW });
  }
  const head = request.method === 'HEAD';
  if (target.path === '/healthz') {
    if (!context.allowedHosts.has(String(request.headers.host).toLowerCase())) {
      return respond(response, 403, 'unknown Host\n');
    }
    let body: string;
    try {
      body = JSON.stringify(context.stats());
    } catch {
      return respond(response, 503, 'unavailable\n', { 'retry-after': '1' });
    }
    return respond(response, 200, head ? '' : body, { 'content-type': 'application/json' });
  }
  const result = await serveStatic(context.webRoot, target.path, response, head, SECURITY_HEADERS);
  if (result === 'served') return;
  if (result === 'unavailable') {
    context.log('static-unavailable', 'could not open a page file (at the descriptor limit?): 503');
    return respond(response, 503, 'temporarily unavailable\n', { 'retry-after': '1' });
  }
  respond(response, 404, 'not found\n');
}

/**
 * Writes a short plain-text answer with the security headers.
 *
 * @example
 * ```ts
 * respond(response, 405, 'only GET, HEAD\n', { allow: 'GET, HEAD' });
 * ```
 */
export function respond(
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

/**
 * Refuses a WebSocket upgrade with an HTTP status and closes the socket.
 *
 * @example
 * ```ts
 * refuseUpgrade(socket, 429, 'Too Many Requests', 'Retry-After: 5\r\n');
 * ```
 */
export function refuseUpgrade(socket: Socket, status: number, text: string, extra = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`,
  );
}
