// Where a live session's samples come from: a seeded generator, or a stream of the
// user's own. The session's pump pulls one sample at a time with take(); a stream that
// has nothing ready yet says so, and calls wake() once it has.
import { isObservable, type Observable, type Unsubscribable } from 'rxjs';
import type { Row, StreamPosition } from './data/row.js';
import { StreamError } from './errors.js';
import type { SampleGenerator } from './generators.js';

/**
 * Samples of your own for {@link trainSession}: any iterable, async iterable (a
 * `fromCsv`/`fromNdjson`/`fromIterable` row stream, an object-mode Node `Readable`) or
 * Observable of `{ x, y }` rows. A row stream that counts its `position()` (every
 * adapter of this package) is resumable; see {@link trainSession}.
 */
export type SampleStream = Iterable<Row> | AsyncIterable<Row> | Observable<Row>;

/** @internal A session's source of samples. */
export interface SessionFeed {
  /** The synthetic source's generator; null for a stream of your own. */
  readonly generator: SampleGenerator | null;
  /** True when a checkpoint can say where to start again (a generator, or a stream with `position()`). */
  readonly resumable: boolean;
  /**
   * The next sample; `undefined` when none is ready yet (then `wake` is called once one
   * is), `null` once the stream has ended. Throws the stream's own error.
   */
  take(): Row | undefined | null;
  /** Starts reading: a stream's first samples are on their way (an Observable is subscribed). */
  open(): void;
  /** Where a resumable stream stands after the last sample taken. */
  position(): StreamPosition;
  /** Stops reading and lets the stream release what it holds. */
  close(): void;
  /** Called when a sample becomes ready after `take()` returned `undefined`; the session sets it. */
  wake: () => void;
  /** Called when the run must end at once with `error`, whatever it is doing; the session sets it. */
  fail: (error: unknown) => void;
}

/** Samples read ahead of the learner from an async iterable: enough to hide the awaits. */
const READ_AHEAD = 256;

/**
 * Whether `value` is a stream of samples (rather than a `SourceSpec`).
 * @internal
 */
export function isSampleStream(value: unknown): value is SampleStream {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  return (
    isObservable(value) ||
    typeof candidate[Symbol.iterator] === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function'
  );
}

/**
 * A feed that draws from a seeded generator: always ready, never ends.
 * @internal
 */
export function generatorFeed(generator: SampleGenerator): SessionFeed {
  return {
    generator,
    resumable: true,
    take: () => generator.next(),
    open: () => {},
    position: () => ({ rows: generator.position }),
    close: () => {},
    wake: () => {},
    fail: () => {},
  };
}

/**
 * Whether a stream can say where it stands (so a checkpoint can resume it).
 * @internal
 */
export function positionOf(source: SampleStream): (() => StreamPosition) | null {
  const position = (source as { position?: unknown }).position;
  return typeof position === 'function'
    ? () => (position as () => StreamPosition).call(source)
    : null;
}

/**
 * A feed over a stream of the user's own. Nothing is read until `open()` (or the first
 * `take()`).
 * An iterable is pulled synchronously; an async iterable is read at most
 * {@link READ_AHEAD} samples ahead (it waits while the session is paused); an
 * Observable cannot be asked to wait, so what it pushes is held, up to `maxBuffered`.
 * @internal
 */
export function streamFeed(source: SampleStream, maxBuffered: number): SessionFeed {
  const tell = positionOf(source);
  let at: StreamPosition = tell ? tell() : { rows: 0 };
  let rows = at.rows;
  // Samples ready, each with the stream's position after it.
  const queue: { row: Row; position: StreamPosition }[] = [];
  let ended = false;
  let closed = false;
  let failure: { error: unknown } | null = null;
  let pull: (() => Row | undefined | null) | undefined;
  let release = () => {};
  const here = (): StreamPosition => (tell ? tell() : { rows: ++rows });

  const feed: SessionFeed = {
    generator: null,
    resumable: tell !== null,
    take() {
      pull ??= open();
      const row = pull();
      if (row === null && failure) throw failure.error;
      return row;
    },
    open() {
      pull ??= open();
    },
    position: () => at,
    close() {
      closed = true;
      release();
    },
    wake: () => {},
    fail: () => {},
  };

  const fromQueue = (refill: () => void) => (): Row | undefined | null => {
    const entry = queue.shift();
    if (entry) {
      at = entry.position;
      refill();
      return entry.row;
    }
    if (ended || failure) return null;
    refill();
    return undefined;
  };

  function open(): () => Row | undefined | null {
    if (isObservable(source)) return subscribeTo(source as Observable<Row>);
    const sync = (source as Partial<Iterable<Row>>)[Symbol.iterator];
    if (typeof sync === 'function') {
      const iterator = sync.call(source);
      release = () => void iterator.return?.();
      return () => {
        const result = iterator.next();
        if (result.done) return null;
        at = here();
        return result.value;
      };
    }
    return readAhead((source as AsyncIterable<Row>)[Symbol.asyncIterator]());
  }

  function readAhead(iterator: AsyncIterator<Row>): () => Row | undefined | null {
    let reading = false;
    release = () => void iterator.return?.()?.catch(() => {});
    const read = async () => {
      if (reading || ended || closed || failure) return;
      reading = true;
      try {
        while (!closed && queue.length < READ_AHEAD) {
          const result = await iterator.next();
          if (closed) return;
          if (result.done) {
            ended = true;
            break;
          }
          queue.push({ row: result.value, position: here() });
          if (queue.length === 1) feed.wake();
        }
      } catch (error) {
        failure = { error };
      } finally {
        reading = false;
      }
      if (ended || failure) feed.wake();
    };
    // Start reading now: the first samples are ready when the session first asks.
    void read();
    return fromQueue(() => void read());
  }

  function subscribeTo(observable: Observable<Row>): () => Row | undefined | null {
    let subscription: Unsubscribable | undefined;
    release = () => subscription?.unsubscribe();
    const stop = (error: unknown) => {
      failure = { error };
      subscription?.unsubscribe();
      feed.wake();
    };
    subscription = observable.subscribe({
      next: (row) => {
        if (closed || failure) return;
        if (queue.length >= maxBuffered) {
          // Dropping a sample would change the run silently: end it now, even if paused.
          const error = new StreamError(
            'ADAMFLOW_ERR_BUFFER_OVERFLOW',
            `trainSession: the Observable pushed more than maxBuffered (${maxBuffered}) samples ahead of the session (paused, or slower than the stream); raise maxBuffered, or pass an iterable or async iterable, which waits for the session`,
          );
          failure = { error };
          subscription?.unsubscribe();
          return feed.fail(error);
        }
        queue.push({ row, position: here() });
        if (queue.length === 1) feed.wake();
      },
      error: (error: unknown) => stop(error),
      complete: () => {
        ended = true;
        feed.wake();
      },
    });
    if (closed || failure) subscription.unsubscribe();
    return fromQueue(() => {});
  }

  return feed;
}
