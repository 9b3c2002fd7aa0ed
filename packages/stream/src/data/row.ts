/**
 * One row of data as the adapters yield it and a pipeline takes it: features (numbers,
 * or strings in the columns a `oneHot` stage encodes) and a numeric target (a real
 * number, or a class index from a {@link LabelEncoder}).
 */
export interface Row {
  /** Features, in the adapter's column order. */
  readonly x: ArrayLike<number | string>;
  /** Target: a real number (regression) or a class index (classification). */
  readonly y: number;
  /** 0-based row number in its source (bad rows count too), when the source counts. */
  readonly index?: number;
}

/** How far an adapter got: enough to start again exactly after the last row it yielded. */
export interface StreamPosition {
  /** Data rows consumed (yielded or skipped), not counting a header. */
  rows: number;
  /**
   * `fromCsv` on a plain (not gzipped) file: the byte offset where the row after them
   * starts, so that a resume opens the file there instead of parsing its way back.
   */
  byte?: number;
  /** With `byte`: the file's lines up to that offset (the header is line 1), for error messages. */
  line?: number;
  /** With `byte`: the file as it was, to detect a change since (see {@link FileStamp}). */
  file?: FileStamp;
}

/** What identifies a data file at a position: a resume refuses another. */
export interface FileStamp {
  /** Size in bytes. */
  size: number;
  /** Last modification, in ms since the epoch (`fs.Stats.mtimeMs`). */
  mtimeMs: number;
  /** SHA-256 (hex) of the header row's fields. */
  header: string;
}

/** What an adapter does with a bad row: throw a `StreamError`, or skip it and count it. */
export type BadRowPolicy = 'throw' | 'skip';

/** A stream of rows that knows its position, for checkpoints. */
export interface RowStream extends AsyncIterable<Row> {
  /** The position after the last row yielded or skipped (starts at the `from` option). */
  position(): StreamPosition;
  /** Bad rows skipped so far under `onBadRow: 'skip'`. */
  readonly skipped: number;
  /** The feature names, in `x` order (known after the first row for files). */
  readonly features: readonly string[];
}

/** @internal Checks a `from` option. */
export function checkPosition(name: string, from: StreamPosition | undefined): number {
  if (from === undefined) return 0;
  const rows = (from as { rows?: unknown } | null)?.rows;
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 0) {
    throw new TypeError(
      `${name}: from must be a position { rows: integer >= 0 } from stream.position(), got ${JSON.stringify(from)}`,
    );
  }
  return rows;
}

/** @internal Checks an `onBadRow` option. */
export function checkPolicy(name: string, policy: unknown): BadRowPolicy {
  if (policy === undefined) return 'throw';
  if (policy !== 'throw' && policy !== 'skip') {
    throw new TypeError(
      `${name}: onBadRow must be 'throw' or 'skip', got ${JSON.stringify(policy)}`,
    );
  }
  return policy;
}

/**
 * A Node `Readable` of bytes or text, described by the two methods the adapters use,
 * so that these types need no `@types/node` (an `fs.createReadStream(...)`, a socket,
 * `process.stdin` all fit).
 */
export interface ReadableInput {
  pipe: (...args: never[]) => unknown;
  on: (...args: never[]) => unknown;
}
