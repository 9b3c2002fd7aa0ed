import { type FileHandle, open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** What {@link serveStatic} did. */
export type StaticResult = 'served' | 'not-found' | 'unavailable';

/**
 * Serves the file at the decoded `path` under `root` (the built page); `/` is
 * `index.html`. Refuses anything that would leave `root`. The file is opened before
 * any header is written, so a failure to open it (EMFILE at the descriptor limit, a
 * file removed meanwhile) is an answer, not a crash: `'unavailable'` when the system
 * refused (the caller answers 503), `'not-found'` when there is no such file. A read
 * error once streaming has begun destroys the response.
 *
 * @param root - absolute directory of the page.
 * @param path - the decoded request path (see `parseRequestTarget`).
 * @param head - true for HEAD (headers only).
 * @param headers - extra headers for every answer (security headers).
 * @returns what happened; nothing has been written unless it is `'served'`.
 * @example
 * ```ts
 * const result = await serveStatic('/srv/web', '/', response, false, {});
 * if (result === 'not-found') response.writeHead(404).end();
 * ```
 */
export async function serveStatic(
  root: string,
  path: string,
  response: ServerResponse,
  head: boolean,
  headers: Record<string, string>,
): Promise<StaticResult> {
  const relative = path === '/' ? 'index.html' : path.slice(1);
  const file = normalize(join(root, relative));
  if (!file.startsWith(root + sep)) return 'not-found';
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    return isMissing(error) ? 'not-found' : 'unavailable';
  }
  let size: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return 'not-found';
    }
    size = stat.size;
  } catch {
    await handle.close().catch(() => {});
    return 'unavailable';
  }
  response.writeHead(200, {
    ...headers,
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': relative.startsWith('assets/')
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  });
  if (head) {
    await handle.close().catch(() => {});
    response.end();
    return 'served';
  }
  // pipeline destroys both ends on an error in either (a read error, the peer leaving)
  // and closes the descriptor; the rejection is expected and needs no more handling.
  pipeline(handle.createReadStream({ autoClose: true }), response).catch(() => {});
  return 'served';
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG';
}
