import type { SchedulerLike } from 'rxjs';
import { Subscription } from 'rxjs';

/** A scheduler for flat-out producers that counts the batches it has run. */
export interface BatchCounter {
  /** Runs each batch in its own `setImmediate` macrotask, as the default flat-out scheduler does. */
  readonly scheduler: SchedulerLike;
  /** Batches run so far. */
  readonly batches: number;
}

/**
 * Counts a producer's batches. Once a subscriber is closed RxJS drops whatever reaches
 * it, so counting emissions downstream cannot tell a stopped producer from one that
 * still runs; counting the batches it schedules can.
 *
 * @returns a counter whose `scheduler` goes in the producer's `scheduler` option.
 * @example
 * ```ts
 * const counter = batchCounter();
 * const subscription = linearSource({ scheduler: counter.scheduler }).subscribe();
 * subscription.unsubscribe();
 * const before = counter.batches; // must not grow from here on
 * ```
 */
export function batchCounter(): BatchCounter {
  let batches = 0;
  const scheduler: SchedulerLike = {
    now: () => performance.now(),
    schedule(work, delay, state) {
      if (delay !== undefined && delay > 0) {
        throw new RangeError('batchCounter: only for flat-out producers (no delay)');
      }
      const handle = setImmediate(() => {
        batches++;
        (work as (state: unknown) => void).call(undefined, state);
      });
      return new Subscription(() => clearImmediate(handle));
    },
  };
  return {
    scheduler,
    get batches() {
      return batches;
    },
  };
}
