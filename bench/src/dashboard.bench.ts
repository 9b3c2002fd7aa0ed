// The dashboard under load: broadcast latency to 100 and 1000 clients at 30 updates/s,
// and training speed with 0 and 1000 clients, training flat out in its worker. Clients
// run in a separate process; everything on loopback, bounded in time.
// Writes bench/results/dashboard.json.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDashboardServer } from '@adamflow/dashboard/server';
import { environment, median, printTable, writeResult } from './harness.js';

const SECONDS = Number(process.env['ADAMFLOW_BENCH_SECONDS'] ?? 8);
const here = dirname(fileURLToPath(import.meta.url));

interface ClientResult {
  clients: number;
  messages: number;
  perClientPerSecond: number;
  bytesPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

// Every bench client comes from 127.0.0.1: lift the per-address limits (they are
// measured by the server's own tests, not here).
const server = await startDashboardServer({
  port: 0,
  rate: null,
  broadcastHz: 30,
  maxClients: 2000,
  maxConnectionsPerAddress: 2000,
  connectRate: { capacity: 2000, perSecond: 2000 },
});

/** Median of the trainer's reported samples/s over `seconds`, sampled every 250 ms. */
async function trainingSpeed(seconds: number): Promise<number> {
  const readings: number[] = [];
  const start = server.stats().samples;
  const t0 = performance.now();
  for (let i = 0; i < seconds * 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    readings.push(server.stats().samplesPerSecond);
  }
  const overall = (server.stats().samples - start) / ((performance.now() - t0) / 1000);
  return Math.min(median(readings), overall * 1.5);
}

function runClients(
  count: number,
  seconds: number,
): Promise<{ result: ClientResult; speed: number }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'dashboard-clients.ts'),
      server.wsUrl,
      String(count),
      String(seconds),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const speed = (async () => {
    // measure training while the clients are connected and being served
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return trainingSpeed(Math.max(1, seconds - 2));
  })();
  const done = new Promise<ClientResult>((resolve, reject) => {
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
  return Promise.all([done, speed]).then(([result, s]) => ({ result, speed: s }));
}

await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up
const idleSpeed = await trainingSpeed(SECONDS / 2);
const with100 = await runClients(100, SECONDS);
const with1000 = await runClients(1000, SECONDS);
const idleAfter = await trainingSpeed(SECONDS / 2);
await server.close();

const baseline = (idleSpeed + idleAfter) / 2;
const rows = [
  {
    clients: 0,
    'samples/s': baseline,
    'vs idle': 1,
    'updates/client/s': 0,
    'p50 ms': 0,
    'p99 ms': 0,
    'max ms': 0,
  },
  ...[with100, with1000].map(({ result, speed }) => ({
    clients: result.clients,
    'samples/s': speed,
    'vs idle': speed / baseline,
    'updates/client/s': result.perClientPerSecond,
    'p50 ms': result.p50,
    'p99 ms': result.p99,
    'max ms': result.max,
  })),
];
printTable(
  `Dashboard under load (training flat out, 30 Hz broadcasts, ${SECONDS} s per phase)`,
  rows,
);
console.log('targets: 1000 clients p99 < 50 ms; training with 1000 clients >= 0.8 of idle');
const path = writeResult('dashboard', {
  benchmark: 'dashboard',
  seconds: SECONDS,
  environment: environment(),
  idleSamplesPerSecond: { before: idleSpeed, after: idleAfter },
  clients100: with100,
  clients1000: with1000,
  ratios: { trainingWith1000Clients: with1000.speed / baseline },
  targets: { p99Ms: 50, trainingRatio: 0.8 },
});
console.log(`\nwrote ${path}`);
