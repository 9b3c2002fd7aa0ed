import { Worker } from 'node:worker_threads';
import { DistributedError } from './errors.js';

/** What the reader's thread is started with. */
export interface ReaderSetup {
  /** Server URL(s), comma-separated. */
  url: string;
  /** Connection name. */
  name: string;
  /** The session's sample stream. */
  stream: string;
  /** Bytes of chunks handed over and not yet learned, at most (plus one chunk). */
  maxBytes: number;
  /** Bytes per chunk (a message larger than this gets a chunk of its own). */
  chunkBytes: number;
  /** Bytes the ordered consumer asks the server for at once. */
  pullBytes: number;
}

/** Trainer's thread to reader's thread. */
export type ReaderRequest =
  | { type: 'start'; sequence: number }
  | { type: 'ack'; buffer: ArrayBuffer }
  | { type: 'stop' };

/** Reader's thread to trainer's thread. */
export type ReaderReply =
  | { type: 'ready' }
  /** Payloads in `buffer`; `index` holds (sequence, byte offset, byte length) per message. */
  | { type: 'chunk'; buffer: ArrayBuffer; index: number[] }
  | { type: 'error'; message: string; disconnected: boolean };

/** A message of the sample stream as the reader hands it over. */
export interface ReadMessage {
  seq: number;
  /** The payload, 8-byte aligned in memory (valid until the next message is taken). */
  data: Uint8Array;
}

/** Options of {@link SampleReader.open}. */
export interface SampleReaderOptions {
  url: string;
  stream: string;
  /** Connection name; default `adamflow-trainer-reader`. */
  name?: string;
  /** Default 8 MiB. */
  maxBytes?: number;
  /** Default 1 MiB. */
  chunkBytes?: number;
  /** Default 16 MiB. */
  pullBytes?: number;
}

const MIB = 1024 * 1024;

/**
 * Reads a session's sample stream in a worker thread, so that receiving and parsing
 * NATS messages overlaps with learning. The thread has its own connection and ordered
 * consumer; payloads are copied once, into chunks whose buffers are transferred (and
 * given back for reuse when learned). At most `maxBytes` (plus a chunk) wait to be
 * learned, and the consumer's own pull (`pullBytes`) is only renewed while the thread
 * reads, so memory stays bounded however slow or paused the learning is. Messages come
 * in stream order; iterate it as an ordered consumer's messages, and `stop()` it (the
 * thread is terminated; nothing keeps the process alive after).
 *
 * @example
 * ```ts
 * import { SampleReader } from './sample-reader.js';
 * const reader = SampleReader.open({ url: 'nats://127.0.0.1:4222', stream: 'adamflow_samples_demo' });
 * await reader.start(1);
 * for await (const message of reader) {
 *   console.log(message.seq, message.data.byteLength);
 *   break;
 * }
 * await reader.stop();
 * ```
 */
export class SampleReader implements AsyncIterable<ReadMessage> {
  private readonly worker: Worker;
  private readonly chunks: Array<{ buffer: ArrayBuffer; index: number[] }> = [];
  private waiting: (() => void) | undefined;
  private ready: (() => void) | undefined;
  private failure: Error | undefined;
  private stopped = false;
  private exited: Promise<number>;
  private onError: (error: Error) => void = () => {};
  private held = 0;

  private constructor(setup: ReaderSetup) {
    this.worker = new Worker(new URL('./sample-reader-worker.js', import.meta.url), {
      workerData: setup,
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.on('message', (reply: ReaderReply) => this.receive(reply));
    this.worker.on('error', (error) => this.fail(error));
    void this.exited.then(() => {
      if (!this.stopped) this.fail(new Error('the sample reader thread ended'));
    });
  }

  /**
   * Starts the thread and connects it (reading begins on `start`).
   *
   * @param options - {@link SampleReaderOptions}.
   * @returns the reader.
   */
  static open(options: SampleReaderOptions): SampleReader {
    const size = (name: string, value: number | undefined, fallback: number) => {
      const bytes = value ?? fallback;
      if (!Number.isSafeInteger(bytes) || bytes < 1024) {
        throw new RangeError(`${name} must be an integer >= 1024 (bytes), got ${bytes}`);
      }
      return bytes;
    };
    return new SampleReader({
      url: options.url,
      name: options.name ?? 'adamflow-trainer-reader',
      stream: options.stream,
      maxBytes: size('maxBytes', options.maxBytes, 8 * MIB),
      chunkBytes: size('chunkBytes', options.chunkBytes, MIB),
      pullBytes: size('pullBytes', options.pullBytes, 16 * MIB),
    });
  }

  /**
   * Tells `onError` once when reading fails (a lost connection, the stream gone, the
   * thread dead), at once if it already has; the iteration then ends.
   */
  onFailure(onError: (error: Error) => void): void {
    this.onError = onError;
    if (this.failure !== undefined) onError(this.failure);
  }

  /**
   * Reads from stream sequence `sequence` on.
   *
   * @returns once the thread's consumer exists (or reading failed, or it was stopped).
   */
  start(sequence: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const started = new Promise<void>((resolve) => {
      this.ready = resolve;
    });
    this.post({ type: 'start', sequence });
    return started;
  }

  /** Bytes of chunks received from the thread and not yet given back (learned). */
  get heldBytes(): number {
    return this.held;
  }

  /** Ends reading: the iteration ends and the thread is terminated. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.ready?.();
      this.wake();
      await this.worker.terminate();
    }
    await this.exited;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReadMessage> {
    while (!this.stopped) {
      const chunk = this.chunks.shift();
      if (chunk === undefined) {
        await new Promise<void>((resolve) => {
          this.waiting = resolve;
        });
        continue;
      }
      const { buffer, index } = chunk;
      for (let i = 0; i < index.length && !this.stopped; i += 3) {
        yield { seq: index[i]!, data: new Uint8Array(buffer, index[i + 1]!, index[i + 2]!) };
      }
      // Learned (or stopped): the thread may read on, into this very buffer.
      this.held -= buffer.byteLength;
      this.post({ type: 'ack', buffer }, [buffer]);
    }
  }

  private receive(reply: ReaderReply): void {
    if (reply.type === 'chunk') {
      this.held += reply.buffer.byteLength;
      this.chunks.push({ buffer: reply.buffer, index: reply.index });
      this.wake();
    } else if (reply.type === 'ready') {
      this.ready?.();
    } else {
      this.fail(
        reply.disconnected
          ? new DistributedError(
              'ADAMFLOW_ERR_NATS_DISCONNECTED',
              `lost the connection to NATS (sample reader: ${reply.message}); restart the trainer (it resumes from its last checkpoint)`,
            )
          : new Error(`the sample reader failed: ${reply.message}`),
      );
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined || this.stopped) return;
    this.failure = error;
    this.ready?.();
    this.onError(error);
    void this.stop();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  private post(request: ReaderRequest, transfer: ArrayBuffer[] = []): void {
    if (!this.stopped) this.worker.postMessage(request, transfer);
  }
}
