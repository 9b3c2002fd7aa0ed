// Fan-out of one session to 1000 WebSocket clients, side by side in one run: the
// single-process dashboard serving all 1000, against two `adamflow gateway`
// processes serving 500 each from NATS JetStream. Both broadcast 30 updates/s: the
// dashboard's own (its trainer paced at `RATE` samples/s so that training is not
// what is measured), and on NATS 30 `adamflow.params-update` messages/s in the
// trainer's format published into the session's updates stream by this process.
// Per client: frames/s delivered, and delivery latency from the frame's `time` (the
// dashboard's send time; on the gateways JetStream's store time, whole ms) to its
// arrival. Clients run in separate processes (dashboard-clients.ts), everything on
// loopback, bounded in time. Writes bench/results/gateway-fanout.json.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startDashboardServer } from '@adamflow/dashboard/server';
import { openNats } from '@adamflow/distributed/dist/nats-context.js';
import { encodeUpdate, openUpdatesStream } from '@adamflow/distributed/dist/params-updates.js';
import { sessionNames } from '@adamflow/distributed/dist/session-names.js';
import { environment, printTable, writeResult } from './harness.js';
import { startNats } from './nats-server.js';

const SECONDS = Number(process.env['ADAMFLOW_BENCH_SECONDS'] ?? 8);
const CLIENTS = 1000;
const GATEWAYS = 2;
const HZ = 30;
const RATE = 5000;
const SESSION = 'fanout';
const here = dirname(fileURLToPath(import.meta.url));
const ADAMFLOW = join(here, '../../apps/distributed/dist/main.js');

interface ClientResult {
  clients: number;
  seconds: number;
  messages: number;
  perClientPerSecond: number;
  bytesPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** `count` clients on `url` for `seconds`, in a process of their own. */
function runClients(url: string, count: number, seconds: number): Promise<ClientResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'dashboard-clients.ts'), url, String(count), String(seconds)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  return new Promise<ClientResult>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error(`clients did not finish in time: ${output}`));
      },
      (seconds + 60) * 1000,
    );
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`client process exited ${code}`));
      else resolve(JSON.parse(output) as ClientResult);
    });
  });
}

/** One gateway process; resolves once it listens. */
function startGatewayProcess(natsUrl: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'fanout-gateway.ts'), natsUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not start in 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, port: (JSON.parse(line) as { port: number }).port });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return exited.finally(() => clearTimeout(timer));
}

/** The dashboard, one process: trains, serves and broadcasts. */
async function dashboardPhase(): Promise<ClientResult> {
  // Every bench client comes from 127.0.0.1: lift the per-address limits.
  const server = await startDashboardServer({
    port: 0,
    rate: RATE,
    broadcastHz: HZ,
    maxClients: 2000,
    maxConnectionsPerAddress: 2000,
    connectRate: { capacity: 2000, perSecond: 2000 },
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
    return await runClients(server.wsUrl, CLIENTS, SECONDS);
  } finally {
    await server.close();
  }
}

/** The session on NATS through two gateways, 500 clients each. */
async function gatewaysPhase(): Promise<ClientResult[]> {
  const broker = await startNats();
  const gateways: ChildProcess[] = [];
  let publisher: ReturnType<typeof setInterval> | undefined;
  const nats = await openNats({ url: broker.url, name: 'adamflow-bench-publisher' });
  try {
    // A session exists once something was produced into it.
    const produced = spawn(
      process.execPath,
      [ADAMFLOW, 'produce', '--nats', broker.url, '--session', SESSION, '--source', 'seed'].concat([
        '--seed',
        '42',
        '--samples',
        '256',
      ]),
      { stdio: 'inherit' },
    );
    const code = await new Promise((resolve) => produced.once('exit', resolve));
    if (code !== 0) throw new Error(`produce exited ${code}`);
    const names = sessionNames(SESSION);
    await openUpdatesStream(nats, names);
    const created = (await nats.jsm.streams.info(names.updatesStream)).created;
    let seq = 0;
    publisher = setInterval(() => {
      seq++;
      const update = encodeUpdate({
        format: 'adamflow.params-update',
        version: 1,
        session: SESSION,
        epoch: created,
        seq,
        samples: seq * 256,
        step: seq * 256,
        lossEma: 1 / seq,
        params: [4 - 1 / seq, 3 + 1 / seq],
      });
      nats.js.publish(names.updatesSubject, update).catch(() => {});
    }, 1000 / HZ);
    const started = await Promise.all(
      Array.from({ length: GATEWAYS }, () => startGatewayProcess(broker.url)),
    );
    gateways.push(...started.map((gateway) => gateway.child));
    await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
    return await Promise.all(
      started.map(({ port }) =>
        runClients(`ws://127.0.0.1:${port}/ws?session=${SESSION}`, CLIENTS / GATEWAYS, SECONDS),
      ),
    );
  } finally {
    clearInterval(publisher);
    await Promise.all(gateways.map(stop));
    await nats.close();
    await broker.stop();
  }
}

const dashboard = await dashboardPhase();
const perGateway = await gatewaysPhase();
// Each client process reports its own percentiles; the combined p50 is their mean
// (equal halves), the combined p99 the worse of the two (no better than the truth).
const gateways = {
  clients: CLIENTS,
  perClientPerSecond:
    perGateway.reduce((sum, result) => sum + result.messages, 0) /
    CLIENTS /
    (perGateway.reduce((sum, result) => sum + result.seconds, 0) / perGateway.length),
  p50: perGateway.reduce((sum, result) => sum + result.p50, 0) / perGateway.length,
  p99: Math.max(...perGateway.map((result) => result.p99)),
  max: Math.max(...perGateway.map((result) => result.max)),
};
const rows = [
  {
    server: `dashboard (1 process, ${CLIENTS} clients)`,
    'frames/client/s': dashboard.perClientPerSecond,
    'p50 ms': dashboard.p50,
    'p99 ms': dashboard.p99,
    'max ms': dashboard.max,
  },
  {
    server: `${GATEWAYS} gateways (${CLIENTS / GATEWAYS} clients each)`,
    'frames/client/s': gateways.perClientPerSecond,
    'p50 ms': gateways.p50,
    'p99 ms': gateways.p99,
    'max ms': gateways.max,
  },
];
printTable(`One session to ${CLIENTS} WebSocket clients at ${HZ} Hz, ${SECONDS} s each`, rows);
const ratios = {
  framesPerClient: gateways.perClientPerSecond / dashboard.perClientPerSecond,
  p50: gateways.p50 / dashboard.p50,
  p99: gateways.p99 / dashboard.p99,
};
console.log(
  `gateways / dashboard: frames/client/s ${ratios.framesPerClient.toFixed(3)}, p50 ${ratios.p50.toFixed(2)}, p99 ${ratios.p99.toFixed(2)}; target p99 < 50 ms`,
);
const path = writeResult('gateway-fanout', {
  benchmark: 'gateway-fanout',
  seconds: SECONDS,
  hz: HZ,
  clients: CLIENTS,
  gateways: GATEWAYS,
  dashboardRate: RATE,
  latencyFrom: {
    dashboard: "the frame's time (the server's send time)",
    gateways: "the frame's time (JetStream's store time of the update, whole ms)",
  },
  note: process.env['ADAMFLOW_BENCH_NOTE'] ?? null,
  environment: environment(),
  dashboard,
  gatewayPerProcess: perGateway,
  gatewaysCombined: gateways,
  ratios,
  targets: { p99Ms: 50 },
});
console.log(`\nwrote ${path}`);
