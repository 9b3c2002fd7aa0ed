import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsContext } from './nats-context.js';
import type { SessionNames } from './session-names.js';

/** How long JetStream remembers gradient message ids (a redelivered sample message's gradient is dropped). */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

/**
 * Creates the session's gradient stream unless it exists, and says when it was
 * created: that time names the gradient history (the trainer's updates carry it as
 * their `epoch`, and a checkpoint refuses another one).
 *
 * @param nats - an open context.
 * @param names - the session's names.
 * @returns the stream's creation time.
 * @example
 * ```ts
 * import { ensureGradientStream } from './gradient-stream.js';
 * import { openNats } from './nats-context.js';
 * import { sessionNames } from './session-names.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * await ensureGradientStream(nats, sessionNames('demo'));
 * ```
 */
export async function ensureGradientStream(
  nats: NatsContext,
  names: SessionNames,
): Promise<string> {
  try {
    return (await nats.jsm.streams.info(names.gradientsStream)).created;
  } catch (error) {
    if (!/not found/i.test(String((error as Error)?.message))) throw error;
  }
  try {
    return (
      await nats.jsm.streams.add({
        name: names.gradientsStream,
        subjects: [names.gradientsSubject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        // The stream is the gradient history the trainer replays: never drop any.
        discard: DiscardPolicy.New,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      })
    ).created;
  } catch (error) {
    // A concurrent creator won; anything else is real.
    return (
      await nats.jsm.streams.info(names.gradientsStream).catch(() => {
        throw error;
      })
    ).created;
  }
}
