import type { SchedulerLike } from 'rxjs';
import { asyncScheduler } from 'rxjs';

/** How a producer paces itself. */
export interface PumpOptions {
  /**
   * Samples per second; omit (or `Infinity`) to run flat out. Paced producers emit on
   * a tick of at most 100 Hz whatever is due by the clock, so 5 samples/s and
   * 50 000 samples/s both keep time.
   */
  rate?: number;
  /**
   * The scheduler that runs each batch and supplies the clock. Pass RxJS's
   * `TestScheduler` to run in virtual time. Default: flat out, `setImmediate` (a
   * macrotask that timers can interleave with, unlike the microtask-based
   * `asapScheduler`); paced, `asyncScheduler`.
   */
  scheduler?: SchedulerLike;
  /** Longest run of synchronous emissions per macrotask, in ms; default 4. */
  sliceMs?: number;
  /** Most samples per macrotask; default 16384. */
  maxBatch?: number;
}

/**
 * Checks pump options eagerly, so a bad rate throws where the source is created.
 * @internal
 */
export function checkPumpOptions(options: PumpOptions): void {
  const { rate, sliceMs, maxBatch } = options;
  if (rate !== undefined && !(typeof rate === 'number' && rate > 0)) {
    throw new RangeError(
      `rate must be a positive number of samples per second, got ${String(rate)}`,
    );
  }
  if (sliceMs !== undefined && !(typeof sliceMs === 'number' && sliceMs > 0)) {
    throw new RangeError(
      `sliceMs must be a positive number of milliseconds, got ${String(sliceMs)}`,
    );
  }
  if (maxBatch !== undefined && !(Number.isInteger(maxBatch) && maxBatch > 0)) {
    throw new RangeError(`maxBatch must be a positive integer, got ${String(maxBatch)}`);
  }
}

/** A running pump; `stop()` cancels the next batch. */
export interface Pump {
  stop(): void;
}

const TICK_MS = 10;

/**
 * Runs `emitOne` repeatedly in batches per macrotask until `isClosed()` or `stop()`.
 * `isClosed` is checked before every emission, so `take(n)` downstream stops it at once.
 *
 * @internal
 */
export function startPump(
  isClosed: () => boolean,
  emitOne: () => void,
  options: PumpOptions,
): Pump {
  checkPumpOptions(options);
  const rate = options.rate ?? Number.POSITIVE_INFINITY;
  const sliceMs = options.sliceMs ?? 4;
  const maxBatch = options.maxBatch ?? 16384;
  let stopped = false;
  let cancel: () => void = () => {};
  const done = () => stopped || isClosed();

  if (rate === Number.POSITIVE_INFINITY) {
    const scheduler = options.scheduler;
    const clock = scheduler ?? { now: () => performance.now() };
    const run = () => {
      const deadline = clock.now() + sliceMs;
      for (let n = 1; !done(); n++) {
        emitOne();
        if (n >= maxBatch || ((n & 255) === 0 && clock.now() >= deadline)) break;
      }
      if (!done()) cancel = schedule(run, scheduler);
    };
    cancel = schedule(run, scheduler);
  } else {
    const scheduler = options.scheduler ?? asyncScheduler;
    const interval = Math.max(1000 / rate, TICK_MS);
    const start = scheduler.now();
    let emitted = 0;
    const subscription = scheduler.schedule(function tick() {
      const due = Math.floor(((scheduler.now() - start) * rate) / 1000) - emitted;
      for (let n = 0; n < Math.min(due, maxBatch) && !done(); n++) {
        emitOne();
        emitted++;
      }
      // Falling behind by more than a batch means the consumer is slower than the
      // rate; drop the debt rather than bursting later.
      if (due > maxBatch) emitted += due - maxBatch;
      if (!done()) this.schedule(undefined, interval);
    }, interval);
    cancel = () => subscription.unsubscribe();
  }
  return {
    stop() {
      stopped = true;
      cancel();
    },
  };
}

function schedule(run: () => void, scheduler: SchedulerLike | undefined): () => void {
  if (scheduler) {
    const subscription = scheduler.schedule(run);
    return () => subscription.unsubscribe();
  }
  if (typeof setImmediate === 'function') {
    const handle = setImmediate(run);
    return () => clearImmediate(handle);
  }
  // Browsers: a MessageChannel message is a macrotask without setTimeout's 4 ms clamp.
  const channel = new MessageChannel();
  let live = true;
  channel.port1.addEventListener('message', () => {
    channel.port1.close();
    if (live) run();
  });
  channel.port1.start();
  channel.port2.postMessage(null);
  return () => {
    live = false;
    channel.port1.close();
  };
}
