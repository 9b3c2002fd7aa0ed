// Child process of gateway-fanout.bench.ts: one `adamflow gateway` as the command
// runs it, but with the per-address limits lifted (every bench client comes from
// 127.0.0.1; those limits are measured by the gateway's own tests, not here). Prints
// one JSON line {"port":P} once it listens; on SIGUSR2 starts watching its own load
// (CPU, event-loop delay); on SIGTERM prints {"load":...} for that window and stops.
// The app exports no library: its built modules are what the command runs.
import { startGateway } from '@adamflow/distributed/dist/gateway.js';
import { openNats } from '@adamflow/distributed/dist/nats-context.js';
import { type ProcessLoad, watchLoad } from './process-load.js';

const [natsUrl] = process.argv.slice(2);
const nats = await openNats({ url: natsUrl!, name: 'adamflow-bench-gateway' });
const gateway = await startGateway({
  nats,
  port: 0,
  maxClients: 2000,
  maxConnectionsPerAddress: 2000,
  connectRate: { capacity: 2000, perSecond: 2000 },
  log: (line) => process.stderr.write(`gateway: ${line}\n`),
});
process.stdout.write(`${JSON.stringify({ port: gateway.port })}\n`);
let watch: { stop(): ProcessLoad } | undefined;
let broadcastsAtStart = 0;
process.on('SIGUSR2', () => {
  watch = watchLoad();
  broadcastsAtStart = gateway.stats().broadcasts;
});
process.once('SIGTERM', () => {
  const load = watch?.stop() ?? null;
  const { skippedFrames, maxBufferedAmount, broadcasts } = gateway.stats();
  // Frames the gateway had from the broker per second of the window (30 when it keeps up).
  const framesPerSecond = load ? (broadcasts - broadcastsAtStart) / load.seconds : null;
  process.stdout.write(
    `${JSON.stringify({ load, framesPerSecond, skippedFrames, maxBufferedAmount })}\n`,
  );
  void gateway
    .close()
    .then(() => nats.close())
    .finally(() => process.exit(0));
});
