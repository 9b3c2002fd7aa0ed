// The thread behind `SampleReader`: its own NATS connection and ordered consumer on a
// session's sample stream, the payloads copied once into chunks whose buffers are
// transferred to the trainer's thread. It reads ahead only while fewer than
// `maxBytes` of chunks are unacknowledged, so a paused or busy trainer holds it back.
import { parentPort, workerData } from 'node:worker_threads';
import { type ConsumerMessages, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { asDisconnect } from './disconnect.js';
import type { ReaderReply, ReaderRequest, ReaderSetup } from './sample-reader.js';

const setup = workerData as ReaderSetup;
const port = parentPort!;

/** Bytes handed over and not yet acknowledged. */
let inFlight = 0;
let wake: (() => void) | undefined;
let connection: NatsConnection | undefined;
let messages: ConsumerMessages | undefined;
let stopping = false;
/** Chunk buffers the trainer's thread has given back. */
const pool: ArrayBuffer[] = [];

const send = (reply: ReaderReply, transfer: ArrayBuffer[] = []) =>
  port.postMessage(reply, transfer);

port.on('message', (request: ReaderRequest) => {
  if (request.type === 'ack') {
    inFlight -= request.buffer.byteLength;
    // Reused, so a steady read allocates nothing.
    if (pool.length < 4 && request.buffer.byteLength === setup.chunkBytes)
      pool.push(request.buffer);
    if (inFlight < setup.maxBytes) wake?.();
  } else if (request.type === 'start') {
    void read(request.sequence).catch(report);
  } else {
    stopping = true;
    messages?.stop();
    wake?.();
  }
});

function report(error: unknown, disconnected = false): void {
  if (stopping) return;
  stopping = true;
  const known = asDisconnect(error);
  send({
    type: 'error',
    message: String((error as Error)?.message ?? error),
    disconnected: disconnected || known.code === 'ADAMFLOW_ERR_NATS_DISCONNECTED',
  });
}

async function read(sequence: number): Promise<void> {
  // No reconnect: what the trainer learned since its checkpoint is replayed by its
  // next run, so a lost connection ends it (as on the trainer's own connection).
  connection = await connect({
    servers: setup.url.split(',').map((server) => server.trim()),
    name: setup.name,
    reconnect: false,
  });
  void connection.closed().then((error) => {
    report(error ?? new Error('the connection closed'), true);
  });
  (async () => {
    for await (const event of connection!.status()) {
      if (event.type === 'disconnect') {
        report(new Error('disconnected'), true);
        return;
      }
    }
  })().catch(() => {});
  const consumer = await jetstream(connection).consumers.get(setup.stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: sequence,
  });
  messages = await consumer.consume({ max_bytes: setup.pullBytes });
  if (stopping) messages.stop();
  send({ type: 'ready' });
  const chunk = new ChunkBuilder(setup.chunkBytes);
  let flushing = false;
  const flush = () => {
    flushing = false;
    const out = chunk.take();
    if (out === undefined) return;
    inFlight += out.buffer.byteLength;
    send({ type: 'chunk', buffer: out.buffer, index: out.index }, [out.buffer]);
  };
  for await (const message of messages) {
    if (!chunk.fits(message.data.byteLength)) flush();
    chunk.add(message.seq, message.data);
    // Messages already received are yielded without a macrotask in between; the
    // chunk goes out once they are taken (or when it is full).
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
    while (inFlight >= setup.maxBytes && !stopping) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    if (stopping) break;
  }
  if (!stopping) report(new Error('the sample stream ended'), connection.isClosed());
}

/** Payloads packed at 8-byte aligned offsets of one buffer (so float64 views need no copy). */
class ChunkBuilder {
  private buffer: ArrayBuffer;
  private used = 0;
  private index: number[] = [];

  constructor(private readonly size: number) {
    this.buffer = fresh(size);
  }

  fits(length: number): boolean {
    return this.used === 0 || this.used + length <= this.buffer.byteLength;
  }

  add(sequence: number, data: Uint8Array): void {
    if (this.used + data.byteLength > this.buffer.byteLength) {
      this.buffer = new ArrayBuffer(Math.max(this.size, data.byteLength));
    }
    new Uint8Array(this.buffer, this.used, data.byteLength).set(data);
    this.index.push(sequence, this.used, data.byteLength);
    this.used += (data.byteLength + 7) & ~7;
  }

  take(): { buffer: ArrayBuffer; index: number[] } | undefined {
    if (this.used === 0) return undefined;
    const out = { buffer: this.buffer, index: this.index };
    this.buffer = fresh(this.size);
    this.used = 0;
    this.index = [];
    return out;
  }
}

function fresh(size: number): ArrayBuffer {
  return pool.pop() ?? new ArrayBuffer(size);
}
