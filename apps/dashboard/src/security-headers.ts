/**
 * Headers on every HTTP answer. The page loads only its own scripts, styles and
 * WebSocket (`'self'` covers `ws:`/`wss:` to the same host); it cannot be framed
 * (`frame-ancestors 'none'`, and `X-Frame-Options` for older browsers), so no other
 * site can overlay its controls; types are never sniffed.
 *
 * @example
 * ```ts
 * response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/plain' });
 * ```
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
});
