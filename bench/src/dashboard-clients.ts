// Child process of dashboard.bench.ts: opens N WebSocket connections to the dashboard
// and measures broadcast latency (receive time minus the server's send `time`, both
// `performance.timeOrigin + performance.now()`: one clock on one machine). Prints one
// JSON line on stdout when done.
//
// The clients stand for N browsers on other machines, so this process must cost the
// 2-core machine as little as possible: instead of N full `ws` clients it speaks the
// protocol's minimum over plain TCP (RFC 6455 handshake, unmasked server frames,
// masked pongs for the server's heartbeat) and reads only each frame's head.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const [url, countText, secondsText] = process.argv.slice(2);
const { hostname, port, pathname, search } = new URL(url!);
const count = Number(countText);
const seconds = Number(secondsText);
const latencies: number[] = [];
let received = 0;
let bytes = 0;
let measuring = false;
const now = () => performance.timeOrigin + performance.now();
// A params-update carries `seq` and `time` first (the gateway's frames) or last (the
// dashboard's): read the frame's head and, when needed, its tail.
const HEAD = /^\{"type":"params-update"(?:,"seq":\d+,"time":([\d.]+))?/;
const TAIL = /"time":([\d.]+)\}$/;

function pong(socket: Socket, payload: Buffer): void {
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x8a; // FIN + pong
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  socket.write(frame);
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let buffer: Buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buffer.subarray(0, 12).toString().includes('101'))
          return reject(new Error('upgrade refused'));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve(socket);
      }
      // Frames from the server are unmasked: 2-byte head, then 0, 2 or 8 length bytes.
      for (;;) {
        if (buffer.length < 2) break;
        const opcode = buffer[0]! & 0x0f;
        let length = buffer[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) break;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) break;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) break;
        const payload = buffer.subarray(offset, offset + length);
        if (opcode === 0x9) pong(socket, payload);
        else if (opcode === 0x1 && measuring) {
          const head = HEAD.exec(payload.toString('latin1', 0, Math.min(96, payload.length)));
          const time =
            head?.[1] ??
            (head
              ? TAIL.exec(payload.toString('latin1', Math.max(0, payload.length - 64)))?.[1]
              : undefined);
          if (time !== undefined) {
            latencies.push(now() - Number(time));
            received++;
            bytes += length;
          }
        }
        buffer = buffer.subarray(offset + length);
      }
    });
  });
}

const sockets: Socket[] = [];
for (let i = 0; i < count; i += 50) {
  // Batches of 50, so the accept queue is not what gets measured.
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, open))));
}
await new Promise((resolve) => setTimeout(resolve, 500));
measuring = true;
const start = now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
measuring = false;
const elapsed = (now() - start) / 1000;
for (const socket of sockets) socket.destroy();
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
