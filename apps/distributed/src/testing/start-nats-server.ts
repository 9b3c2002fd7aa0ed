// A private nats-server per test file: JetStream on, a free port on 127.0.0.1, its store
// in a temporary directory, stopped by pid (also when the test process exits early).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** A running test broker. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** The process id of the current incarnation. */
  readonly pid: number;
  /** Stops the server (SIGTERM, SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops it and starts it again on the same port and store (JetStream recovers). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

const NATS = process.env['ADAMFLOW_NATS_SERVER'] ?? 'nats-server';
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts `nats-server -js` on a free port in a fresh temporary directory and resolves
 * once a client can connect and JetStream answers.
 *
 * @returns the handle; call `dispose()` in `afterAll`.
 * @example
 * ```ts
 * import { startNatsServer } from './start-nats-server.js';
 * const server = await startNatsServer();
 * console.log(server.url);
 * await server.dispose();
 * ```
 */
export async function startNatsServer(): Promise<NatsServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'adamflow-nats-'));
  let port = -1;
  let child = await launch(dir, port);
  port = await readPort(dir, child);
  const url = `nats://127.0.0.1:${port}`;
  await waitReady(url, child);
  const stop = async () => {
    await terminate(child);
  };
  return {
    url,
    get pid() {
      return child.pid ?? -1;
    },
    stop,
    async restart() {
      await stop();
      child = await launch(dir, port);
      await waitReady(url, child);
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    NATS,
    [
      '-js',
      '-p',
      String(port),
      '--ports_file_dir',
      dir,
      '-sd',
      join(dir, 'store'),
      '-a',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(new Error(`could not start ${NATS} (${error.message}); run scripts/prepare-nats.mjs`)),
    );
  });
  (child as ChildProcess & { log: () => string }).log = () => log;
  return child;
}

/** Polls for the ports file the server writes once it listens (a readiness probe, not a sleep). */
async function readPort(dir: string, child: ChildProcess): Promise<number> {
  const file = `nats-server_${child.pid}.ports`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    assertRunning(child);
    if (readdirSync(dir).includes(file)) {
      try {
        const ports = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats: string[] };
        const port = Number(new URL(ports.nats[0]!).port);
        if (port > 0) return port;
      } catch {
        // Written but not complete yet: read again.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nats-server wrote no ports file in 20 s: ${serverLog(child)}`);
}

/** Connects until JetStream answers. */
async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < deadline) {
    assertRunning(child);
    try {
      const nc = await connect({ servers: url, reconnect: false, timeout: 2000 });
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nats-server at ${url} not ready in 20 s (${String(last)}): ${serverLog(child)}`);
}

function assertRunning(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(
      `nats-server exited (${child.exitCode ?? child.signalCode}): ${serverLog(child)}`,
    );
  }
}

function serverLog(child: ChildProcess): string {
  return (child as ChildProcess & { log?: () => string }).log?.() ?? '';
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
