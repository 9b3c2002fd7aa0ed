/** Origins and `Host` values a server on `host:port` accepts. */
export interface AllowedOrigins {
  /** `Origin`s that may open a WebSocket (a browser always sends one). */
  origins: Set<string>;
  /** `Host` values (lower case, with port) for which `/healthz` answers. */
  hosts: Set<string>;
}

/**
 * The server's own loopback origins on `port` (and `host`'s), plus `extra`: a page
 * elsewhere must not drive the trainer, and a page on a rebound DNS name must not read
 * the counters.
 *
 * @param host - the interface the server is bound to.
 * @param port - its port.
 * @param extra - origins allowed besides (e.g. a reverse proxy's).
 * @example
 * ```ts
 * const { origins } = allowedOrigins('127.0.0.1', 8080, []);
 * origins.has('http://localhost:8080'); // true
 * ```
 */
export function allowedOrigins(host: string, port: number, extra: string[]): AllowedOrigins {
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const origins = new Set([
    `http://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    `http://[::1]:${port}`,
    `http://${hostForUrl}:${port}`,
    ...extra,
  ]);
  const hosts = new Set<string>();
  for (const origin of origins) {
    try {
      hosts.add(new URL(origin).host.toLowerCase());
    } catch {
      // not a URL: matches no Host
    }
  }
  return { origins, hosts };
}
