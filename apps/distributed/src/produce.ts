import { createGenerator, type SourceSpec } from '@adamflow/stream';
import { DiscardPolicy, type PubAck, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { DistributedError } from './errors.js';
import type { NatsContext } from './nats-context.js';
import { decodeSamples, encodeSamples } from './sample-codec.js';
import { type SessionNames, sessionNames } from './session-names.js';
import { claimSource } from './session-source.js';

/** Samples per message unless told otherwise. */
export const DEFAULT_BATCH_SAMPLES = 256;
/** Sample messages that may await JetStream's acknowledgement at once. */
const PUBLISH_WINDOW = 64;
/** How long JetStream remembers message ids to drop re-publishes. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** Options of {@link produce}. */
export interface ProduceOptions {
  /** The session to produce into. */
  session: string;
  /** The seeded source. */
  spec: SourceSpec;
  /** The session should hold the first `samples` samples of the source. */
  samples: number;
  /** Samples per message; default 256. */
  batchSamples?: number;
  /** Replicas of the stream when this call creates it (1 to 5, at most the cluster's size); default 1. */
  replicas?: number;
}

/** What {@link produce} did. */
export interface ProduceResult {
  session: string;
  /** Samples in the session's stream afterwards. */
  samples: number;
  /** Samples this call added (0 when they were all there already). */
  added: number;
  /** Messages this call published. */
  messages: number;
  /** The stream sequence of the last message. */
  lastSequence: number;
}

/**
 * Makes the session's stream hold the first `samples` samples of a seeded source,
 * idempotently: it continues after what is already there (so running it again adds
 * nothing), every message carries `Nats-Msg-Id` = session, first index and count (a
 * re-publish within the duplicate window is dropped by JetStream), and each publish
 * expects the stream's last sequence (or, pipelined, the previous message's id as the
 * last message's), so two producers racing cannot interleave.
 *
 * @param nats - an open context.
 * @param options - {@link ProduceOptions}.
 * @returns what was there and what was added.
 * @example
 * ```ts
 * import { linearSpec } from '@adamflow/stream';
 * import { openNats } from './nats-context.js';
 * import { produce } from './produce.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * await produce(nats, { session: 'demo', spec: linearSpec({ seed: 42 }), samples: 10_000 });
 * ```
 */
export async function produce(nats: NatsContext, options: ProduceOptions): Promise<ProduceResult> {
  const names = sessionNames(options.session);
  const batchSamples = options.batchSamples ?? DEFAULT_BATCH_SAMPLES;
  if (!Number.isInteger(batchSamples) || batchSamples < 1 || batchSamples > 65_536) {
    throw new RangeError(`batchSamples must be an integer in 1..65536, got ${batchSamples}`);
  }
  if (!Number.isSafeInteger(options.samples) || options.samples < 0) {
    throw new RangeError(`samples must be an integer >= 0, got ${options.samples}`);
  }
  await claimSource(nats.kv, names, options.spec);
  await ensureStream(nats, names, options.replicas ?? 1);
  let messages = 0;
  let added = 0;
  let lastRead = -1;
  for (let stalled = 0; ; ) {
    let { samples: have, lastSequence } = await streamPosition(nats, names);
    if (have >= options.samples) {
      return { session: names.session, samples: have, added, messages, lastSequence };
    }
    // Every re-read after a race must find the stream moved on; one that stays put while
    // our ids are refused as duplicates holds something produce did not write.
    stalled = lastSequence === lastRead ? stalled + 1 : 0;
    if (stalled > 3) {
      throw new DistributedError(
        'ADAMFLOW_ERR_STREAM_CORRUPT',
        `stream ${names.stream}: its messages do not match the source at sample ${have}; produce into a new session`,
      );
    }
    lastRead = lastSequence;
    const generator = createGenerator(options.spec);
    // Regenerate what is there already: the source is a pure function of its seed.
    for (let skip = have; skip > 0; ) {
      const count = Math.min(skip, 65_536);
      generator.nextBatch(count);
      skip -= count;
    }
    // Publishes are pipelined, up to PUBLISH_WINDOW awaiting their acknowledgement:
    // the first expects the stream's last sequence, each next one the previous one's
    // id as the stream's last message id, so a message of another producer anywhere
    // in between fails all those after it (one with the same id is the same samples).
    let raced = false;
    let previousId: string | undefined;
    let sent = have;
    const inFlight: Array<Promise<Published>> = [];
    while ((sent < options.samples && !raced) || inFlight.length > 0) {
      while (!raced && sent < options.samples && inFlight.length < PUBLISH_WINDOW) {
        const batch = generator.nextBatch(Math.min(batchSamples, options.samples - sent));
        const id = `${names.session}:${batch.start}:${batch.count}`;
        const expect = previousId === undefined ? { lastSequence } : { lastMsgID: previousId };
        inFlight.push(
          nats.js.publish(names.subject, encodeSamples(batch), { msgID: id, expect }).then(
            (ack) => ({ ack, count: batch.count }),
            (error: unknown) => ({ error, count: batch.count }),
          ),
        );
        previousId = id;
        sent += batch.count;
      }
      const published = await inFlight.shift()!;
      if ('error' in published) {
        if (!isWrongLastSequence(published.error)) {
          await Promise.all(inFlight);
          throw published.error;
        }
        raced = true;
      } else if (published.ack.duplicate) {
        // Another producer stored this id first: re-read the stream once all are back.
        raced = true;
      } else {
        lastSequence = published.ack.seq;
        have += published.count;
        added += published.count;
        messages++;
      }
    }
  }
}

/** One pipelined publish, settled. */
type Published = { ack: PubAck; count: number } | { error: unknown; count: number };

/** Creates the session's stream unless it exists. */
async function ensureStream(
  nats: NatsContext,
  names: SessionNames,
  replicas: number,
): Promise<void> {
  try {
    await nats.jsm.streams.info(names.stream);
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await nats.jsm.streams.add({
      name: names.stream,
      subjects: [names.subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      // The stream is the training history: never drop old samples to make room.
      discard: DiscardPolicy.New,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: replicas,
    });
  } catch (error) {
    // A concurrent produce created it first; anything else is real.
    await nats.jsm.streams.info(names.stream).catch(() => {
      throw error;
    });
  }
}

/**
 * Where the session's stream stands: its last sequence and how many samples it holds,
 * read from the last message (its first index plus its count).
 */
export async function streamPosition(
  nats: NatsContext,
  names: SessionNames,
): Promise<{ samples: number; lastSequence: number; created: string }> {
  const info = await nats.jsm.streams.info(names.stream);
  const { last_seq: lastSequence, first_seq: firstSequence, messages } = info.state;
  if (lastSequence === 0) return { samples: 0, lastSequence, created: info.created };
  if (firstSequence !== 1 || messages !== lastSequence) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `stream ${names.stream} has messages ${firstSequence}..${lastSequence} but holds ${messages}: messages were deleted; produce into a new session`,
    );
  }
  const last = await nats.jsm.streams.getMessage(names.stream, { seq: lastSequence });
  if (last === null) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `stream ${names.stream} lost its last message`,
    );
  }
  const batch = decodeSamples(last.data);
  return { samples: batch.start + batch.count, lastSequence, created: info.created };
}

function isWrongLastSequence(error: unknown): boolean {
  return /wrong last (sequence|msg ?id)/i.test(String((error as Error)?.message));
}

function isNotFound(error: unknown): boolean {
  return /not found/i.test(String((error as Error)?.message));
}
