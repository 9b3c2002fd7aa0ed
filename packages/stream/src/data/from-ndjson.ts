import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { StreamError } from '../errors.js';
import type { LabelEncoder } from './label-encoder.js';
import {
  type BadRowPolicy,
  checkPolicy,
  checkPosition,
  type ReadableInput,
  type Row,
  type RowStream,
  type StreamPosition,
} from './row.js';
import { TargetReader, type TargetType } from './target.js';

/** Options of {@link fromNdjson}. */
export interface FromNdjsonOptions {
  /** The target's key. */
  target: string;
  /** The feature keys, in `x` order; default the other keys of the first row, in its order. */
  features?: readonly string[];
  /** Feature keys holding text (for a `oneHot` stage); the others must hold numbers. */
  categorical?: readonly string[];
  /** How to read the target; default `'number'`. */
  targetType?: TargetType;
  /** For `targetType: 'category'`: the encoder to continue with. */
  labels?: LabelEncoder;
  /**
   * What the model needs of a target (e.g. a Poisson regression's `model.checkTarget`):
   * a line whose target it refuses is a bad row (`ADAMFLOW_ERR_ROW_VALUE`).
   */
  checkTarget?: (y: number) => string | null;
  /** Throw on a bad row (default), or skip it and count it. */
  onBadRow?: BadRowPolicy;
  /** Called with each skipped row's error under `onBadRow: 'skip'`. */
  onSkip?: (error: StreamError) => void;
  /** Start after this many data rows (a saved `position()`). */
  from?: StreamPosition;
  /** Gunzip the input; default: when the path ends in `.gz`. */
  gzip?: boolean;
}

/** An NDJSON {@link RowStream}. */
export interface NdjsonStream extends RowStream {
  /** The encoder of `targetType: 'category'`, else null. */
  readonly labels: LabelEncoder | null;
}

/**
 * Reads newline-delimited JSON (one object per line) as a stream of {@link Row}s,
 * pulled one at a time with backpressure, in constant memory; `.gz` is gunzipped on
 * the fly and blank lines are ignored. A line that is not a JSON object is
 * `ADAMFLOW_ERR_DATA_SYNTAX`, a missing key `ADAMFLOW_ERR_ROW_LENGTH`, a value of the
 * wrong type `ADAMFLOW_ERR_ROW_VALUE` (numbers must be JSON numbers), each naming the
 * line and key; with `onBadRow: 'skip'` such rows are skipped and counted.
 *
 * @param input - a file path, or a Readable of NDJSON text.
 * @param options - {@link FromNdjsonOptions}.
 * @returns the row stream.
 * @example
 * ```ts
 * import { fromNdjson } from '@adamflow/stream';
 * for await (const row of fromNdjson('events.ndjson', { target: 'clicked', targetType: 'boolean' })) {
 *   console.log(row.x, row.y);
 * }
 * ```
 */
export function fromNdjson(
  input: string | ReadableInput,
  options: FromNdjsonOptions,
): NdjsonStream {
  if (typeof input !== 'string' && typeof (input as Readable)?.pipe !== 'function') {
    throw new TypeError(
      `fromNdjson: input must be a file path or a Readable, got ${String(input)}`,
    );
  }
  if (!options || typeof options.target !== 'string') {
    throw new TypeError(
      'fromNdjson: options.target must name the target key, e.g. { target: "y" }',
    );
  }
  const policy = checkPolicy('fromNdjson', options.onBadRow);
  const start = checkPosition('fromNdjson', options.from);
  const reader = new TargetReader(options.targetType ?? 'number', options.labels);
  const gzip = options.gzip ?? (typeof input === 'string' && input.endsWith('.gz'));
  const categorical = new Set(options.categorical ?? []);
  let features: string[] = options.features ? [...options.features] : [];
  let rows = start;
  let skipped = 0;

  function firstKeys(text: string): void {
    try {
      const object = JSON.parse(text) as Record<string, unknown>;
      features = Object.keys(object).filter((k) => k !== options.target);
    } catch {
      // A bad first line is reported when it is read, not when it is skipped.
    }
  }

  function convert(text: string, line: number): Row | StreamError {
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch {
      object = undefined;
    }
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      return new StreamError(
        'ADAMFLOW_ERR_DATA_SYNTAX',
        `NDJSON line ${line}: not a JSON object: ${text.slice(0, 80)}`,
        { line },
      );
    }
    const record = object as Record<string, unknown>;
    if (features.length === 0) features = Object.keys(record).filter((k) => k !== options.target);
    const x: (number | string)[] = new Array(features.length);
    for (let j = 0; j < features.length; j++) {
      const key = features[j]!;
      const value = record[key];
      if (value === undefined) return missing(line, key);
      const ok = categorical.has(key)
        ? typeof value === 'string' || typeof value === 'number'
        : typeof value === 'number' && value - value === 0;
      if (!ok) {
        return bad(line, key, value, categorical.has(key) ? 'a string' : 'a finite number');
      }
      x[j] = value as number | string;
    }
    const label = record[options.target];
    if (label === undefined) return missing(line, options.target);
    let y: number;
    try {
      y = reader.read(label);
    } catch (error) {
      return error as StreamError;
    }
    if (Number.isNaN(y)) return bad(line, options.target, label, reader.expected);
    const needed = options.checkTarget?.(y) ?? null;
    if (needed !== null) return bad(line, options.target, label, needed);
    return { x, y, index: rows };
  }

  async function* iterate(): AsyncGenerator<Row> {
    rows = start;
    const source = typeof input === 'string' ? createReadStream(input) : (input as Readable);
    let text: Readable = source;
    if (gzip) {
      const gunzip = createGunzip();
      (pipeline as (...streams: unknown[]) => void)(source, gunzip, () => {});
      text = gunzip;
    }
    const lines = createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    let seen = 0;
    try {
      for await (const content of lines) {
        line++;
        if (content.trim() === '') continue;
        if (seen++ < start) {
          // The default feature order is the first row's, also when resuming past it.
          if (features.length === 0) firstKeys(content);
          continue;
        }
        const row = convert(content, line);
        rows++;
        if (row instanceof StreamError) {
          if (policy === 'throw') throw row;
          skipped++;
          options.onSkip?.(row);
          continue;
        }
        yield row;
      }
    } finally {
      lines.close();
      source.destroy();
    }
  }

  return {
    [Symbol.asyncIterator]: iterate,
    position: () => ({ rows }),
    get skipped() {
      return skipped;
    },
    get features() {
      return features;
    },
    labels: reader.labels,
  };
}

function missing(line: number, key: string): StreamError {
  return new StreamError(
    'ADAMFLOW_ERR_ROW_LENGTH',
    `NDJSON line ${line}: no key ${JSON.stringify(key)}`,
    {
      line,
      column: key,
    },
  );
}

function bad(line: number, key: string, value: unknown, expected: string): StreamError {
  return new StreamError(
    'ADAMFLOW_ERR_ROW_VALUE',
    `NDJSON line ${line}, key ${JSON.stringify(key)}: expected ${expected}, got ${JSON.stringify(value)}`,
    { line, column: key },
  );
}
