import {
  applyServerMessage,
  type Config,
  emptySessionView,
  PROTOCOL_VERSION,
  type SessionView,
  snapshotOfView,
} from '@adamflow/protocol';
import { createGenerator, type SourceSpec } from '@adamflow/stream';
import { type ConsumerMessages, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { FrameBuilder, type SessionLook } from './broker-frames.js';
import { readCheckpoint, type TrainerCheckpoint } from './checkpoint.js';
import { FrameRing } from './frame-ring.js';
import type { NatsContext } from './nats-context.js';
import { openUpdatesStream } from './params-updates.js';
import { type SessionNames, sessionNames } from './session-names.js';
import { readSource, type SessionSource } from './session-source.js';

/** Options of {@link SessionFeed.open}. */
export interface SessionFeedOptions {
  /** Recent frames kept for resuming viewers. */
  ringSize: number;
  /** Frames a resuming viewer may be behind and still be replayed from the stream. */
  maxReplay: number;
  /** Bytes a resume may send at most (a viewer's send buffer); beyond it, a reset. */
  replayBytes: number;
  /** Largest broker message read; larger ones are skipped. */
  maxMessageBytes: number;
  /** Replays from the stream under way at once, per session; beyond it, a reset. */
  maxFetches: number;
  /** Called with each new frame, serialized, in order. */
  broadcast: (data: Buffer) => void;
  /** Called once when the feed ends by itself (stream deleted, connection lost). */
  ended: (reason: string) => void;
  /** Where to log, by kind (see the dashboard's BoundedLog). */
  log: (kind: string, line: string) => void;
}

/** How to bring a reconnecting viewer up to date. */
export type ResumePlan =
  | { kind: 'replay'; frames: Buffer[] }
  | { kind: 'reset'; reason: 'epoch-changed' | 'unknown-position' | 'too-far-behind' | 'busy' };

// Bound on how long the first read of the stream and a replay may take.
const READ_TIMEOUT_MS = 10_000;

/**
 * One session on a gateway: an ordered consumer on its updates stream, its messages
 * turned into protocol frames (the same bytes on every gateway), a ring of recent
 * frames, and the view a snapshot is drawn from. A viewer that comes back with its
 * last `seq` and `epoch` gets exactly the frames it missed, from the ring or else
 * from the stream, or an explicit reset (a fresh snapshot): never a silent gap. The
 * epoch is the updates stream's identity (its creation time): its sequences mean
 * other frames once it is recreated.
 *
 * @example
 * ```ts
 * import { SessionFeed } from './session-feed.js';
 * declare const nats: import('./nats-context.js').NatsContext;
 * declare const options: import('./session-feed.js').SessionFeedOptions;
 * const feed = await SessionFeed.open(nats, 'demo', options);
 * const plan = await feed?.resume(41, feed.epoch);
 * ```
 */
export class SessionFeed {
  private lastSeq: number;
  private fetches = 0;
  private messages: ConsumerMessages | undefined;
  private cached: { seq: number; clients: number; data: Buffer } | undefined;
  private stopped = false;

  private constructor(
    private readonly nats: NatsContext,
    private readonly names: SessionNames,
    private readonly look: SessionLook,
    readonly epoch: string,
    private view: SessionView,
    private readonly ring: FrameRing,
    private readonly options: SessionFeedOptions,
    private readonly builder: FrameBuilder,
    start: number,
  ) {
    this.lastSeq = start - 1;
  }

  /**
   * Opens the feed of `session` and resolves once it has read the stream up to where
   * it ended when opened (so the first snapshot is current).
   *
   * @returns the feed, or undefined when nothing was ever produced into the session.
   */
  static async open(
    nats: NatsContext,
    session: string,
    options: SessionFeedOptions,
  ): Promise<SessionFeed | undefined> {
    const names = sessionNames(session);
    const source = await readSource(nats.kv, names);
    if (source === undefined) return undefined;
    await openUpdatesStream(nats, names);
    const info = await nats.jsm.streams.info(names.updatesStream);
    const stored = await readCheckpoint(nats, names).catch(() => undefined);
    const look = lookOf(session, source, stored?.checkpoint);
    // Where the session is before its frames arrive: its checkpoint, if any.
    const params =
      stored?.checkpoint.learner.params ?? new Array<number>(source.features + 1).fill(0);
    const view = applyServerMessage(emptySessionView(), {
      type: 'snapshot',
      protocol: PROTOCOL_VERSION,
      seq: 0,
      time: 0,
      config: look.config,
      truth: look.truth,
      params,
      step: stored?.checkpoint.step ?? 0,
      samples: stored?.checkpoint.samples ?? 0,
      samplesPerSecond: 0,
      loss: null,
      lossEma: null,
      history: { step: [], loss: [], lossEma: [], params: params.map(() => []) },
      recent: { x: [], y: [] },
      clients: 0,
      diverged: null,
    });
    const { first_seq: first, last_seq: last } = info.state;
    // The ring starts full; the message before its first primes the frame builder
    // (samplesPerSecond), so this gateway's frames equal those of one started earlier.
    const begin = Math.max(first, last - options.ringSize + 1, 1);
    const start = begin - 1 >= Math.max(first, 1) ? begin - 1 : begin;
    const ring = new FrameRing(options.ringSize, begin);
    const builder = new FrameBuilder(look, options.maxMessageBytes);
    const feed = new SessionFeed(
      nats,
      names,
      look,
      info.created,
      view,
      ring,
      options,
      builder,
      start,
    );
    await feed.start(start, begin, last);
    return feed;
  }

  /** The serialized snapshot as of the last frame (cached while nothing changes). */
  snapshot(clients: number): Buffer {
    const { cached } = this;
    if (cached?.seq === this.lastSeq && cached.clients === clients) return cached.data;
    const snapshot = snapshotOfView(this.view, { seq: this.lastSeq, time: Date.now(), clients });
    const data = Buffer.from(JSON.stringify({ ...snapshot, epoch: this.epoch }));
    this.cached = { seq: this.lastSeq, clients, data };
    return data;
  }

  /**
   * What to send a viewer that saw everything up to `seq` in `epoch`. Call
   * `resume`, then (with no `await` in between) send the frames and add the viewer
   * to the broadcast: the frames end exactly where the broadcast goes on.
   */
  async resume(seq: number, epoch: string): Promise<ResumePlan> {
    if (epoch !== this.epoch) return { kind: 'reset', reason: 'epoch-changed' };
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.lastSeq) {
      return { kind: 'reset', reason: 'unknown-position' };
    }
    if (this.ring.holds(seq)) return this.replay(this.ring.after(seq).map((frame) => frame.data));
    if (this.lastSeq - seq > this.options.maxReplay)
      return { kind: 'reset', reason: 'too-far-behind' };
    if (this.fetches >= this.options.maxFetches) return { kind: 'reset', reason: 'busy' };
    this.fetches++;
    try {
      const to = this.ring.from - 1;
      const fetched = await this.fetch(seq, to);
      // The ring may have moved on meanwhile; then the two do not meet.
      if (fetched === undefined || !this.ring.holds(to)) {
        return { kind: 'reset', reason: 'too-far-behind' };
      }
      return this.replay([...fetched, ...this.ring.after(to).map((frame) => frame.data)]);
    } finally {
      this.fetches--;
    }
  }

  /** Stops reading the stream. */
  close(): void {
    this.stopped = true;
    this.messages?.stop();
  }

  private replay(frames: Buffer[]): ResumePlan {
    let bytes = 0;
    for (const frame of frames) bytes += frame.length;
    if (bytes > this.options.replayBytes) return { kind: 'reset', reason: 'too-far-behind' };
    return { kind: 'replay', frames };
  }

  private async start(start: number, begin: number, last: number): Promise<void> {
    const consumer = await this.nats.js.consumers.get(this.names.updatesStream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    this.messages = await consumer.consume({ max_messages: 256 });
    let caughtUp: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if (last < start) caughtUp();
    void (async () => {
      try {
        for await (const message of this.messages!) {
          this.accept(message, begin);
          if (message.seq >= last) caughtUp();
        }
      } catch (error) {
        this.options.log(
          'feed-error',
          `session ${this.names.session}: ${(error as Error)?.message}`,
        );
      }
      caughtUp();
      if (!this.stopped) this.options.ended('its updates stream ended');
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      ready,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, READ_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  private accept(message: JsMsg, begin: number): void {
    const result = this.builder.next(brokerMessage(message));
    this.lastSeq = message.seq;
    if (!result.ok) {
      this.options.log(
        'broker-message-invalid',
        `session ${this.names.session}: skipped message ${message.seq} of the updates stream (${result.reason})`,
      );
      return;
    }
    this.view = applyServerMessage(this.view, result.frame);
    if (message.seq < begin) return;
    const data = Buffer.from(JSON.stringify(result.frame));
    this.ring.push({ seq: message.seq, data });
    this.options.broadcast(data);
  }

  /** The frames after `seq` up to `to`, read again from the stream; undefined when they are gone. */
  private async fetch(seq: number, to: number): Promise<Buffer[] | undefined> {
    const start = Math.max(seq, 1);
    const consumer = await this.nats.js.consumers.get(this.names.updatesStream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    const messages = await consumer.consume({ max_messages: 256 });
    const timer = setTimeout(() => messages.stop(), READ_TIMEOUT_MS);
    const builder = new FrameBuilder(this.look, this.options.maxMessageBytes);
    const frames: Buffer[] = [];
    let expected = start;
    try {
      for await (const message of messages) {
        // A gap here means the stream dropped what the viewer missed.
        if (message.seq !== expected) break;
        expected++;
        const result = builder.next(brokerMessage(message));
        if (message.seq > seq && result.ok) frames.push(Buffer.from(JSON.stringify(result.frame)));
        if (message.seq >= to) break;
      }
    } finally {
      clearTimeout(timer);
      messages.stop();
    }
    return expected > to ? frames : undefined;
  }
}

function brokerMessage(message: JsMsg): { seq: number; time: number; data: Uint8Array } {
  return {
    seq: message.seq,
    time: Math.floor(message.info.timestampNanos / 1e6),
    data: message.data,
  };
}

/** How a session looks to viewers: its source and the trainer's options (from its checkpoint). */
function lookOf(
  session: string,
  source: SessionSource,
  checkpoint: TrainerCheckpoint | undefined,
): SessionLook {
  const spec = createGenerator(source.spec).spec;
  const trainer = checkpoint?.config;
  const config: Config = {
    source: sourceName(spec),
    model: spec.kind === 'logistic' ? 'logistic-regression' : 'linear-regression',
    features: source.features,
    optimizer: trainer?.optimizer ?? 'adam',
    lr: trainer?.lr ?? 0.01,
    batchSize: trainer?.batchSize ?? 1,
    rate: null,
    paused: false,
  };
  return { session, config, truth: truthOf(spec) };
}

function sourceName(spec: SourceSpec): Config['source'] {
  return spec.kind === 'linear' ? 'seed' : spec.kind;
}

function truthOf(spec: SourceSpec): number[] | null {
  switch (spec.kind) {
    case 'linear':
      return [spec.intercept, spec.slope];
    case 'multilinear':
    case 'logistic':
      return [spec.bias, ...spec.weights];
    case 'drift':
      return null;
  }
}
