/** Longest request target the server reads; the page's own URLs are under 100 characters. */
export const MAX_TARGET_LENGTH = 2048;

// scheme://host[:port] with a DNS name or a bracketed IPv6 literal, then a path or query.
const ABSOLUTE_FORM = /^https?:\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?(?=[/?#]|$)/i;

/** What {@link parseRequestTarget} makes of a request target. */
export type RequestTarget =
  | { ok: true; path: string }
  | { ok: false; status: 400 | 414; reason: string };

/**
 * Parses a request target (the second word of the request line) into a decoded path,
 * without ever throwing: a peer chooses these bytes. Accepts origin-form (`/a/b?q`) and
 * absolute-form (`http://host/a/b`, as RFC 9112 asks of servers); refuses everything else
 * (`*`, `//x`, `/\x`, malformed percent-escapes, NUL, backslashes) with 400, and targets
 * longer than {@link MAX_TARGET_LENGTH} with 414. The query string is ignored.
 *
 * @param target - `request.url` as Node gives it.
 * @returns the decoded path, or the status to answer with and why.
 * @example
 * ```ts
 * parseRequestTarget('/assets/app.js?v=1'); // { ok: true, path: '/assets/app.js' }
 * parseRequestTarget('/%ff');               // { ok: false, status: 400, ... }
 * ```
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (target === undefined || target === '') return refuse('an empty request target');
  if (target.length > MAX_TARGET_LENGTH) {
    return {
      ok: false,
      status: 414,
      reason: `a request target over ${MAX_TARGET_LENGTH} characters`,
    };
  }
  let raw = target;
  if (!raw.startsWith('/')) {
    const authority = ABSOLUTE_FORM.exec(raw);
    if (!authority) return refuse('a request target that is neither a path nor an http(s) URL');
    raw = raw.slice(authority[0].length);
    if (!raw.startsWith('/')) raw = `/${raw}`;
  }
  const end = raw.search(/[?#]/);
  const encoded = end === -1 ? raw : raw.slice(0, end);
  // "//x" and "/\x" read as another host to URL parsers (and browsers); nothing of ours
  // lives at such a path.
  if (encoded.startsWith('//') || encoded.includes('\\')) {
    return refuse('a path starting with // or containing a backslash');
  }
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    return refuse('a path with a malformed percent-escape');
  }
  if (path.includes('\0') || path.includes('\\')) return refuse('a path with NUL or a backslash');
  return { ok: true, path };
}

function refuse(reason: string): RequestTarget {
  return { ok: false, status: 400, reason };
}
