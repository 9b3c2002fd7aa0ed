import { checkPosition, type Row, type RowStream, type StreamPosition } from './row.js';

/** Options of {@link fromIterable}. */
export interface FromIterableOptions {
  /** Skip this many rows first (a saved `position()`). */
  from?: StreamPosition;
  /** Feature names, for reports; default none. */
  features?: readonly string[];
}

/**
 * Wraps any iterable, async iterable or object-mode Node `Readable` (an async iterable) of {@link Row}s as
 * a {@link RowStream} that counts its position, so it can be checkpointed and resumed
 * like a file (on resume it skips the rows before `from`; the source must yield the
 * same rows again). Rows are pulled one at a time: a generator runs only as fast as the
 * consumer, and a `Readable` is paused by its own backpressure.
 *
 * @param source - the rows.
 * @param options - {@link FromIterableOptions}.
 * @returns the row stream.
 * @example
 * ```ts
 * import { fromIterable } from '@adamflow/stream';
 * function* rows() { for (let i = 0; i < 10; i++) yield { x: [i], y: 2 * i }; }
 * for await (const row of fromIterable(rows())) console.log(row.y);
 * ```
 */
export function fromIterable(
  source: Iterable<Row> | AsyncIterable<Row>,
  options: FromIterableOptions = {},
): RowStream {
  const iterable = source as Partial<Iterable<Row> & AsyncIterable<Row>> | null;
  if (
    typeof iterable?.[Symbol.asyncIterator] !== 'function' &&
    typeof iterable?.[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(
      'fromIterable: source must be an iterable, an async iterable or a Readable of { x, y } rows',
    );
  }
  const start = checkPosition('fromIterable', options.from);
  let rows = start;
  async function* iterate(): AsyncGenerator<Row> {
    rows = start;
    let seen = 0;
    for await (const row of source as AsyncIterable<Row>) {
      if (seen++ < start) continue;
      rows++;
      yield row;
    }
  }
  return {
    [Symbol.asyncIterator]: iterate,
    position: () => ({ rows }),
    skipped: 0,
    features: options.features ?? [],
  };
}
