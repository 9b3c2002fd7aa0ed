// Child process of dashboard.bench.ts: opens N WebSocket clients to the dashboard and
// measures broadcast latency (client receive time minus the server's send `time`,
// both `performance.timeOrigin + performance.now()`, one clock on one machine).
// Prints one JSON line on stdout when done.
import WebSocket from 'ws';

const [url, countText, secondsText] = process.argv.slice(2);
const count = Number(countText);
const seconds = Number(secondsText);
const latencies: number[] = [];
let received = 0;
let bytes = 0;
let measuring = false;
const now = () => performance.timeOrigin + performance.now();

const sockets: WebSocket[] = [];
await Promise.all(
  Array.from(
    { length: count },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        // Stagger connects a little so the accept queue is not the thing measured.
        setTimeout(() => {
          const ws = new WebSocket(url!, { perMessageDeflate: false, skipUTF8Validation: true });
          ws.on('error', reject);
          ws.on('open', () => resolve());
          ws.on('message', (data: Buffer) => {
            if (!measuring) return;
            const text = data.toString();
            // Cheap parse of the time field without a full JSON.parse per message per client
            // would bias nothing; parse properly to be honest about client cost.
            const message = JSON.parse(text) as { type: string; time?: number };
            if (message.type !== 'params-update' || message.time === undefined) return;
            latencies.push(now() - message.time);
            received++;
            bytes += data.length;
          });
          sockets.push(ws);
        }, i % 50);
      }),
  ),
);
await new Promise((resolve) => setTimeout(resolve, 500));
measuring = true;
const start = now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
measuring = false;
const elapsed = (now() - start) / 1000;
for (const ws of sockets) ws.terminate();
latencies.sort((a, b) => a - b);
const pick = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({
    clients: count,
    seconds: elapsed,
    messages: received,
    perClientPerSecond: received / count / elapsed,
    bytesPerSecond: bytes / elapsed,
    p50: pick(0.5),
    p90: pick(0.9),
    p99: pick(0.99),
    max: latencies.at(-1) ?? Number.NaN,
  })}\n`,
);
process.exit(0);
