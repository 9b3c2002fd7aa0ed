// Test helper: the built server (dist/server.js, the artifact `pnpm start` runs; its
// trainer is a worker thread that needs compiled JavaScript) on 127.0.0.1, port 0.
import type { DashboardServer, DashboardServerOptions } from './server.js';

const { startDashboardServer } = (await import(
  new URL('../dist/server.js', import.meta.url).href
)) as typeof import('./server.js');

/**
 * Starts the built server on a port the system picks, training at 4000 samples a second
 * unless `options` says otherwise.
 *
 * @example
 * ```ts
 * const server = await startTestServer({ token: 's3cret' });
 * await server.close();
 * ```
 */
export function startTestServer(options: DashboardServerOptions = {}): Promise<DashboardServer> {
  return startDashboardServer({ port: 0, rate: 4000, ...options });
}

/**
 * Runs `body` against a server started by {@link startTestServer}, and closes the server
 * however `body` ends.
 *
 * @example
 * ```ts
 * await withServer({}, async (server) => {
 *   const client = await record(server.wsUrl);
 *   client.ws.close();
 * });
 * ```
 */
export async function withServer(
  options: DashboardServerOptions,
  body: (server: DashboardServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}
