// Fan-out of one session to WebSocket clients at 30 updates/s, side by side in one
// run: the single-process dashboard serving 1000 clients, against two `adamflow
// gateway` processes fed from NATS JetStream serving 500 each (1000 in all), then
// 1000 each (the 2 gateways × 1000 clients). The dashboard broadcasts its own
// updates (its trainer paced at `RATE` samples/s so that training is not what is
// measured); on NATS this process publishes 30 `adamflow.params-update` messages/s
// in the trainer's format into the session's updates stream.
// Per client: frames/s delivered, and latency from the moment the update was
// published to the moment the client process has read the frame (see `latency` in
// the JSON): for the dashboard the frame's `time`, for the gateways the moment of the
// js.publish call, matched by `seq`. Clients run in processes of at most 500
// (dashboard-clients.ts) for both servers; each process's CPU and event-loop delay
// is reported, and nats-server's CPU. Everything on loopback, bounded in time.
// Writes bench/results/gateway-fanout.json.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startDashboardServer } from '@adamflow/dashboard/server';
import { openNats } from '@adamflow/distributed/dist/nats-context.js';
import { encodeUpdate, openUpdatesStream } from '@adamflow/distributed/dist/params-updates.js';
import { sessionNames } from '@adamflow/distributed/dist/session-names.js';
import { environment, printTable, writeResult } from './harness.js';
import { startNats } from './nats-server.js';
import { type ProcessLoad, watchLoad } from './process-load.js';

const SECONDS = Number(process.env['ADAMFLOW_BENCH_SECONDS'] ?? 8);
const CLIENTS = 1000;
const GATEWAYS = 2;
const CLIENTS_PER_PROCESS = 500;
// Clients per gateway, one run each: 1000 in all (as many as the dashboard serves),
// then 1000 each (the 2 gateways × 1000 clients).
const PER_GATEWAY = (process.env['ADAMFLOW_BENCH_PER_GATEWAY'] ?? '500,1000')
  .split(',')
  .map(Number);
const HZ = 30;
const RATE = 5000;
const SESSION = 'fanout';
const here = dirname(fileURLToPath(import.meta.url));
const ADAMFLOW = join(here, '../../apps/distributed/dist/main.js');

interface ClientResult {
  clients: number;
  seconds: number;
  messages: number;
  /** Frames whose publish moment was not known (none expected). */
  unmatched: number;
  perClientPerSecond: number;
  bytesPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The client process's own CPU and event-loop delay while it measured. */
  load: ProcessLoad;
}

interface ClientProcess {
  child: ChildProcess;
  /** Resolves once its measuring window opens (with `publishedOnStdin`). */
  measuring: Promise<void>;
  result: Promise<ClientResult>;
}

/** `count` clients on `url` for `seconds`, in a process of their own. */
function runClients(
  url: string,
  count: number,
  seconds: number,
  publishedOnStdin: boolean,
): ClientProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'dashboard-clients.ts'),
      url,
      String(count),
      String(seconds),
      ...(publishedOnStdin ? ['--published-on-stdin'] : []),
    ],
    { stdio: [publishedOnStdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] },
  );
  child.stdin?.on('error', () => {});
  const lines = createInterface({ input: child.stdout! });
  let last = '';
  let opened: () => void = () => {};
  const measuring = new Promise<void>((resolve) => {
    opened = resolve;
  });
  lines.on('line', (line) => {
    if (line === 'measuring') opened();
    else last = line;
  });
  const result = new Promise<ClientResult>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error('clients did not finish in time'));
      },
      (seconds + 400) * 1000,
    );
    // 'close' comes after the output has been read to its end.
    child.on('close', (code) => {
      clearTimeout(timer);
      opened();
      if (code !== 0) reject(new Error(`client process exited ${code}`));
      else resolve(JSON.parse(last) as ClientResult);
    });
  });
  return { child, measuring, result };
}

/**
 * `count` clients on `url`, in processes of at most CLIENTS_PER_PROCESS each: the
 * same for both servers, so neither is measured through a more crowded client.
 */
function runClientShards(url: string, count: number, publishedOnStdin: boolean): ClientProcess[] {
  const shards: ClientProcess[] = [];
  for (let left = count; left > 0; left -= CLIENTS_PER_PROCESS) {
    shards.push(runClients(url, Math.min(left, CLIENTS_PER_PROCESS), SECONDS, publishedOnStdin));
  }
  return shards;
}

/** CPU seconds a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** What a gateway process reports as it stops. */
interface GatewayReport {
  load: ProcessLoad | null;
  /** Frames it had from the broker (and broadcast) per second of the window. */
  framesPerSecond: number | null;
  skippedFrames: number;
  maxBufferedAmount: number;
}

interface GatewayProcess {
  child: ChildProcess;
  port: number;
  /** Its report, once it stopped. */
  report: Promise<GatewayReport | null>;
}

/** One gateway process; resolves once it listens. */
function startGatewayProcess(natsUrl: string): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'fanout-gateway.ts'), natsUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const report = new Promise<GatewayReport | null>((resolve) => {
    lines.on('line', (line) => {
      if (line.startsWith('{"load"')) resolve(JSON.parse(line) as GatewayReport);
    });
    lines.once('close', () => resolve(null));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not start in 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, port: (JSON.parse(line) as { port: number }).port, report });
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

/** The dashboard, one process (this one): trains, serves and broadcasts. */
async function dashboardPhase(): Promise<{ clients: ClientResult[]; server: ProcessLoad }> {
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
    // The clients print "measuring" only with published-on-stdin; open the window as
    // they connect and close it when they are done, which is their window and a bit.
    const clients = runClientShards(server.wsUrl, CLIENTS, false);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // connecting, as they do
    const load = watchLoad();
    const result = await Promise.all(clients.map((process) => process.result));
    return { clients: result, server: load.stop() };
  } finally {
    await server.close();
  }
}

interface GatewaysResult {
  perGateway: number;
  clients: ClientResult[];
  gateways: (GatewayReport | null)[];
  /** The bench process while it published (and read nothing else). */
  publisher: ProcessLoad;
  /** nats-server's CPU time over wall time while the clients measured. */
  natsServerCpu: number;
}

/** The session on NATS through the gateways, `perGateway` clients each. */
async function gatewaysPhase(perGateway: number): Promise<GatewaysResult> {
  const broker = await startNats();
  const gateways: GatewayProcess[] = [];
  const clients: ClientProcess[] = [];
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
    const info = await nats.jsm.streams.info(names.updatesStream);
    const created = info.created;
    let seq = info.state.last_seq;
    let samples = 0;
    publisher = setInterval(() => {
      seq++;
      samples += 256;
      const update = encodeUpdate({
        format: 'adamflow.params-update',
        version: 1,
        session: SESSION,
        epoch: created,
        seq,
        samples,
        step: samples,
        lossEma: 1 / seq,
        params: [4 - 1 / seq, 3 + 1 / seq],
      });
      // The publish moment, for the clients to measure from: the update's stream
      // sequence is the frame's `seq` (this is the stream's only publisher).
      const line = `${seq} ${performance.timeOrigin + performance.now()}\n`;
      for (const process of clients) process.child.stdin?.write(line);
      nats.js.publish(names.updatesSubject, update).catch(() => {});
    }, 1000 / HZ);
    gateways.push(
      ...(await Promise.all(
        Array.from({ length: GATEWAYS }, () => startGatewayProcess(broker.url)),
      )),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
    clients.push(
      ...gateways.flatMap(({ port }) =>
        runClientShards(`ws://127.0.0.1:${port}/ws?session=${SESSION}`, perGateway, true),
      ),
    );
    await Promise.all(clients.map((process) => process.measuring));
    for (const gateway of gateways) gateway.child.kill('SIGUSR2');
    const load = watchLoad();
    const natsStart = cpuSeconds(broker.pid);
    const wallStart = performance.now();
    const results = await Promise.all(clients.map((process) => process.result));
    const natsServerCpu =
      (cpuSeconds(broker.pid) - natsStart) / ((performance.now() - wallStart) / 1000);
    const publisherLoad = load.stop();
    await Promise.all(gateways.map((gateway) => stop(gateway.child)));
    return {
      perGateway,
      clients: results,
      gateways: await Promise.all(gateways.map((gateway) => gateway.report)),
      publisher: publisherLoad,
      natsServerCpu,
    };
  } finally {
    clearInterval(publisher);
    for (const process of clients) process.child.kill('SIGKILL');
    await Promise.all(gateways.map((gateway) => stop(gateway.child)));
    await nats.close();
    await broker.stop();
  }
}

/**
 * All clients of one setup as one population: frames/s over all, p50 the mean of the
 * client processes' (equal shares), p99 and max the worst (no better than the truth).
 */
function combined(clients: ClientResult[]) {
  const total = clients.reduce((sum, client) => sum + client.clients, 0);
  return {
    clients: total,
    perClientPerSecond:
      clients.reduce((sum, client) => sum + client.messages, 0) /
      total /
      (clients.reduce((sum, client) => sum + client.seconds, 0) / clients.length),
    p50: clients.reduce((sum, client) => sum + client.p50, 0) / clients.length,
    p99: Math.max(...clients.map((client) => client.p99)),
    max: Math.max(...clients.map((client) => client.max)),
  };
}

const loadAtStart = loadavg();
const dashboardRun = await dashboardPhase();
const dashboard = { ...dashboardRun, combined: combined(dashboardRun.clients) };
const fanouts: GatewaysResult[] = [];
// A run that could not be set up (on a loaded machine, client handshakes can stall
// past every retry) is recorded as such, not dropped.
const failed: { perGateway: number; error: string }[] = [];
for (const perGateway of PER_GATEWAY) {
  try {
    fanouts.push(await gatewaysPhase(perGateway));
  } catch (error) {
    failed.push({ perGateway, error: String((error as Error)?.message ?? error) });
    console.error(`${GATEWAYS} × ${perGateway}: ${failed.at(-1)!.error}`);
  }
}
const loadAtEnd = loadavg();
const rows = [
  {
    server: `dashboard (1 process, ${CLIENTS} clients)`,
    'frames/client/s': dashboard.combined.perClientPerSecond,
    'p50 ms': dashboard.combined.p50,
    'p99 ms': dashboard.combined.p99,
    'max ms': dashboard.combined.max,
    'server cpu': dashboard.server.cpu,
    'server loop p99 ms': dashboard.server.eventLoopDelayMs.p99,
  },
  ...fanouts.map((fanout) => {
    const all = combined(fanout.clients);
    return {
      server: `${GATEWAYS} gateways (${fanout.perGateway} clients each)`,
      'frames/client/s': all.perClientPerSecond,
      'p50 ms': all.p50,
      'p99 ms': all.p99,
      'max ms': all.max,
      'server cpu': Math.max(...fanout.gateways.map((gateway) => gateway?.load?.cpu ?? Number.NaN)),
      'server loop p99 ms': Math.max(
        ...fanout.gateways.map((gateway) => gateway?.load?.eventLoopDelayMs.p99 ?? Number.NaN),
      ),
    };
  }),
];
printTable(`One session to WebSocket clients at ${HZ} Hz, ${SECONDS} s each`, rows);
const results = fanouts.map((fanout) => {
  const all = combined(fanout.clients);
  return {
    perGateway: fanout.perGateway,
    combined: all,
    ratios: {
      framesPerClient: all.perClientPerSecond / dashboard.combined.perClientPerSecond,
      p50: all.p50 / dashboard.combined.p50,
      p99: all.p99 / dashboard.combined.p99,
    },
    clientProcesses: fanout.clients,
    gatewayProcesses: fanout.gateways,
    publisher: fanout.publisher,
    natsServerCpu: fanout.natsServerCpu,
  };
});
for (const result of results) {
  console.log(
    `${GATEWAYS} × ${result.perGateway}: gateways / dashboard: frames/client/s ${result.ratios.framesPerClient.toFixed(3)}, p50 ${result.ratios.p50.toFixed(2)}, p99 ${result.ratios.p99.toFixed(2)}; p99 ${result.combined.p99.toFixed(1)} ms (target < 50 ms)`,
  );
}
const path = writeResult('gateway-fanout', {
  benchmark: 'gateway-fanout',
  seconds: SECONDS,
  hz: HZ,
  dashboardClients: CLIENTS,
  gateways: GATEWAYS,
  dashboardRate: RATE,
  latency:
    'per frame and per client: the moment the client process has read the frame, minus the moment ' +
    'the update was published, both performance.timeOrigin + performance.now() on this machine. ' +
    "Dashboard: published is the frame's `time`, stamped as its broadcast tick serializes it. " +
    'Gateways: published is the moment this process called js.publish for the update (sent to ' +
    "the clients on a pipe, matched by the frame's `seq`): the broker hop, the gateway and the " +
    'socket are all inside. Percentiles over every frame of every client.',
  clientsPerProcess: CLIENTS_PER_PROCESS,
  processes: {
    dashboard: 'this process (server, trainer paced at dashboardRate) + client processes',
    gateways: 'nats-server + this process (publisher) + one process per gateway + client processes',
  },
  note: process.env['ADAMFLOW_BENCH_NOTE'] ?? null,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  environment: environment(),
  dashboard,
  fanouts: results,
  failed,
  targets: { p99Ms: 50 },
});
console.log(`\nwrote ${path}`);
