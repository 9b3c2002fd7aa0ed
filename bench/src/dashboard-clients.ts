// Child process of dashboard.bench.ts and gateway-fanout.bench.ts: opens N WebSocket
// connections and measures how long each params-update took to reach each client.
// Prints one JSON line on stdout when done.
//
//   dashboard-clients.ts URL N SECONDS [--published-on-stdin]
//
// Latency is arrival time minus the moment the update was published, both
// `performance.timeOrigin + performance.now()` (one clock on one machine). By default
// the publish moment is the frame's own `time` (the dashboard stamps it as it
// broadcasts). With --published-on-stdin the parent writes "SEQ TIME" lines on stdin,
// the moment it published the update of that `seq` to the broker, and the frame's
// `seq` is matched against them: this counts the broker hop too, which the frame's
// `time` (JetStream's store time) would not. With it, the process also prints
// "measuring" on a line of its own when its measuring window opens.
//
// The clients stand for N browsers on other machines, so this process must cost the
// 2-core machine as little as possible: instead of N full `ws` clients it speaks the
// protocol's minimum over plain TCP (RFC 6455 handshake, unmasked server frames,
// masked pongs for the server's heartbeat), reads every socket into one shared buffer
// (no allocation per read) and reads only each frame's head.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { watchLoad } from './process-load.js';

const [url, countText, secondsText, ...flags] = process.argv.slice(2);
const { hostname, port, pathname, search } = new URL(url!);
const count = Number(countText);
const seconds = Number(secondsText);
const publishedOnStdin = flags.includes('--published-on-stdin');
const now = () => performance.timeOrigin + performance.now();
// Frames received while measuring: the publish moment it is measured from (or the
// seq to look it up by) and when it arrived.
const stamps: number[] = [];
const arrivals: number[] = [];
let bytes = 0;
let measuring = false;
// A params-update carries `seq` and `time` first (the gateway's frames) or `time`
// last (the dashboard's): read the frame's head and, when needed, its tail.
const HEAD = /^\{"type":"params-update"(?:,"seq":(\d+),"time":([\d.]+))?/;
const TAIL = /"time":([\d.]+)\}$/;
// Every socket's reads land here; a frame cut across reads is copied out.
const shared = Buffer.allocUnsafe(256 * 1024);

// The parent gone, there is no one to report to.
process.stdout.on('error', () => process.exit(1));
const published = new Map<number, number>();
if (publishedOnStdin) {
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [seq, time] = line.split(' ');
    published.set(Number(seq), Number(time));
  });
}

function pong(socket: Socket, payload: Buffer): void {
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x8a; // FIN + pong
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  socket.write(frame);
}

function onText(payload: Buffer, length: number): void {
  const head = HEAD.exec(payload.toString('latin1', 0, Math.min(96, payload.length)));
  if (!head) return;
  let stamp: number | undefined;
  if (publishedOnStdin) stamp = head[1] === undefined ? undefined : Number(head[1]);
  else {
    const time =
      head[2] ?? TAIL.exec(payload.toString('latin1', Math.max(0, payload.length - 64)))?.[1];
    stamp = time === undefined ? undefined : Number(time);
  }
  if (stamp === undefined) return;
  stamps.push(stamp);
  arrivals.push(now());
  bytes += length;
}

/** Reads the frames in `data`; returns what is left of an incomplete one. */
function readFrames(socket: Socket, data: Buffer): Buffer {
  let at = 0;
  for (;;) {
    if (data.length - at < 2) break;
    const opcode = data[at]! & 0x0f;
    let length = data[at + 1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (data.length - at < 4) break;
      length = data.readUInt16BE(at + 2);
      offset = 4;
    } else if (length === 127) {
      if (data.length - at < 10) break;
      length = Number(data.readBigUInt64BE(at + 2));
      offset = 10;
    }
    if (data.length - at < offset + length) break;
    const payload = data.subarray(at + offset, at + offset + length);
    if (opcode === 0x9) pong(socket, payload);
    else if (opcode === 0x1 && measuring) onText(payload, length);
    at += offset + length;
  }
  return data.subarray(at);
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let upgraded = false;
    // Bytes of an incomplete frame (or of the handshake), copied out of `shared`.
    let rest: Buffer = Buffer.alloc(0);
    const socket = connect({
      port: Number(port),
      host: hostname,
      onread: {
        buffer: shared,
        callback(read: number, buffer: Uint8Array): boolean {
          const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, read);
          let data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
          if (!upgraded) {
            const end = data.indexOf('\r\n\r\n');
            if (end < 0) {
              rest = Buffer.from(data);
              return true;
            }
            if (!data.subarray(0, 12).toString().includes('101')) {
              reject(new Error('upgrade refused'));
              return true;
            }
            upgraded = true;
            clearTimeout(timer);
            data = data.subarray(end + 4);
            resolve(socket);
          }
          const left = readFrames(socket, data);
          rest = left.length ? Buffer.from(left) : left;
          return true;
        },
      },
    });
    // On a loaded machine a handshake can get lost (a dropped SYN, a refused
    // upgrade): give up on it after a while and let the caller open another.
    const timer = setTimeout(() => socket.destroy(new Error('no upgrade in 30 s')), 30_000);
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      if (!upgraded) reject(new Error('closed before the upgrade'));
    });
    socket.on('connect', () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  });
}

let retries = 0;
async function openWithRetries(): Promise<Socket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      if (attempt === 5) throw error;
      retries++;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

const sockets: Socket[] = [];
for (let i = 0; i < count; i += 50) {
  // Batches of 50, so the accept queue is not what gets measured.
  const batch = Array.from({ length: Math.min(50, count - i) }, openWithRetries);
  sockets.push(...(await Promise.all(batch)));
}
process.stderr.write(`clients: ${sockets.length} connected to ${url} (${retries} retries)\n`);
await new Promise((resolve) => setTimeout(resolve, 500));
measuring = true;
if (publishedOnStdin) process.stdout.write('measuring\n');
const load = watchLoad();
const start = now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
measuring = false;
const elapsed = (now() - start) / 1000;
const processLoad = load.stop();
for (const socket of sockets) socket.destroy();
// The last publish moments may still be in the pipe.
if (publishedOnStdin) await new Promise((resolve) => setTimeout(resolve, 300));
const latencies: number[] = [];
let unmatched = 0;
for (let i = 0; i < stamps.length; i++) {
  const from = publishedOnStdin ? published.get(stamps[i]!) : stamps[i];
  if (from === undefined) unmatched++;
  else latencies.push(arrivals[i]! - from);
}
latencies.sort((a, b) => a - b);
const pick = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({
    clients: count,
    seconds: elapsed,
    messages: latencies.length,
    unmatched,
    retries,
    perClientPerSecond: latencies.length / count / elapsed,
    bytesPerSecond: bytes / elapsed,
    p50: pick(0.5),
    p90: pick(0.9),
    p99: pick(0.99),
    max: latencies.at(-1) ?? Number.NaN,
    load: processLoad,
  })}\n`,
);
process.exit(0);
