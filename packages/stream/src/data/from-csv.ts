import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type Options, parse } from 'csv-parse';
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
import { TargetReader, type TargetType, toNumber } from './target.js';

/** Options of {@link fromCsv}. */
export interface FromCsvOptions {
  /**
   * The target column's name (as in the header row); `null` for unlabelled data to
   * predict on (every row's `y` is then NaN).
   */
  target: string | null;
  /** The feature columns, in the order `x` holds them; default every other column, in file order. */
  features?: readonly string[];
  /** Feature columns kept as text (for a `oneHot` stage); the others must hold numbers. */
  categorical?: readonly string[];
  /** How to read the target; default `'number'`. See {@link TargetType}. */
  targetType?: TargetType;
  /** For `targetType: 'category'`: the encoder to continue with (e.g. from a checkpoint). */
  labels?: LabelEncoder;
  /**
   * What the model needs of a target, e.g. a Poisson regression's `model.checkTarget`
   * (counts, finite numbers >= 0): a row whose target it refuses is a bad row
   * (`ADAMFLOW_ERR_ROW_VALUE` naming the line and the target column), thrown or, with
   * `onBadRow: 'skip'`, skipped and counted.
   */
  checkTarget?: (y: number) => string | null;
  /** Throw on a bad row (default), or skip it and count it in `skipped`. */
  onBadRow?: BadRowPolicy;
  /** Called with each skipped row's error under `onBadRow: 'skip'`. */
  onSkip?: (error: StreamError) => void;
  /** Start after this many data rows (a `position()` saved in a checkpoint). */
  from?: StreamPosition;
  /** The field delimiter; default `','`. */
  delimiter?: string;
  /** Gunzip the input; default: when the path ends in `.gz`. */
  gzip?: boolean;
}

/** A CSV {@link RowStream}, with the label encoder its target uses (if any). */
export interface CsvStream extends RowStream {
  /** The encoder of `targetType: 'category'`, else null. Save its state in checkpoints. */
  readonly labels: LabelEncoder | null;
  /** Bytes read from the file so far (compressed bytes for `.gz`; read-ahead included): for progress bars. */
  readonly bytesRead: number;
}

interface Plan {
  columns: number;
  target: number;
  sources: Int32Array;
  numeric: Uint8Array;
  names: string[];
  targetName: string;
  checkTarget: ((y: number) => string | null) | null;
}

/**
 * Reads a CSV file (or a Node `Readable` of CSV text) with a header row as a stream of
 * {@link Row}s, pulled one at a time: the file is read only as fast as the consumer
 * learns (Node stream backpressure), in constant memory. A `.gz` path is gunzipped on
 * the fly. Parsing is csv-parse's (RFC 4180 quoting, a BOM is dropped, empty lines are
 * skipped); converting the values is this adapter's: a feature must be a finite number
 * unless declared `categorical`, and a bad row is never read as NaN: it throws a
 * {@link StreamError} naming the line and column (`ADAMFLOW_ERR_ROW_LENGTH`,
 * `ADAMFLOW_ERR_ROW_VALUE`), or with `onBadRow: 'skip'` is skipped and counted.
 *
 * `position()` tells how many data rows were consumed; pass it back as `from` to start
 * after them (the rows before are parsed again and dropped, which also works for `.gz`).
 * Iterating again reopens the file at `from`.
 *
 * @param input - a file path, or a Readable of CSV text (read once).
 * @param options - {@link FromCsvOptions}.
 * @returns the row stream.
 * @example
 * ```ts
 * import { fromCsv } from '@adamflow/stream';
 * const rows = fromCsv('houses.csv.gz', { target: 'price' });
 * for await (const row of rows) console.log(row.x, row.y);
 * ```
 */
export function fromCsv(input: string | ReadableInput, options: FromCsvOptions): CsvStream {
  if (typeof input !== 'string' && typeof (input as Readable)?.pipe !== 'function') {
    throw new TypeError(`fromCsv: input must be a file path or a Readable, got ${String(input)}`);
  }
  if (!options || (typeof options.target !== 'string' && options.target !== null)) {
    throw new TypeError(
      'fromCsv: options.target must name the target column, e.g. { target: "y" } (null for unlabelled data)',
    );
  }
  const policy = checkPolicy('fromCsv', options.onBadRow);
  const start = checkPosition('fromCsv', options.from);
  const reader = new TargetReader(options.targetType ?? 'number', options.labels);
  const gzip = options.gzip ?? (typeof input === 'string' && input.endsWith('.gz'));
  let rows = start;
  let skipped = 0;
  let features: string[] = [];
  let source: Readable | null = null;

  // A hand-written async iterator reading the parser with read(): one promise per row,
  // where an async generator over the parser's own iterator made two and a generator
  // resumption (measured 20-30% of parse-only time).
  function iterate(): AsyncIterator<Row> {
    rows = start;
    let plan: Plan | null = null;
    // Physical line of the record at hand (the header is line 1). csv-parse's on_record
    // would tell it, but builds an info object per record: counting here is far cheaper.
    let line = 0;
    let dropped = 0;
    let ended = false;
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    const parser = parse({
      delimiter: options.delimiter ?? ',',
      bom: true,
      relax_column_count: true,
      // Empty lines arrive as [''] and are skipped below, so they still count as lines.
      skip_empty_lines: false,
    } as Options);
    const notify = () => wake?.();
    parser.on('readable', notify);
    parser.on('end', () => {
      ended = true;
      notify();
    });
    parser.on('close', () => {
      ended = true;
      notify();
    });
    parser.on('error', (error) => {
      failure ??= error;
      notify();
    });
    source = typeof input === 'string' ? createReadStream(input) : (input as Readable);
    const stages = gzip ? [source, createGunzip(), parser] : [source, parser];
    // pipeline() destroys every stage on error or when the parser is destroyed early.
    (pipeline as (...streams: unknown[]) => void)(...stages, () => {});
    const finish = (error: unknown): never => {
      parser.destroy();
      throw asStreamError(error);
    };
    const next = async (): Promise<IteratorResult<Row>> => {
      for (;;) {
        if (failure !== null) finish(failure);
        const fields = parser.read() as string[] | null;
        if (fields === null) {
          if (ended) return { done: true, value: undefined };
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
          continue;
        }
        line += 1 + embeddedNewlines(fields);
        if (plan === null) {
          try {
            plan = makePlan(fields, options);
          } catch (error) {
            finish(error);
          }
          features = plan!.names;
          continue;
        }
        if (fields.length === 1 && fields[0] === '' && plan.columns > 1) continue;
        if (dropped < start) {
          dropped++;
          continue;
        }
        const row = convert(fields, line, plan, reader, rows);
        rows++;
        if (row instanceof StreamError) {
          if (policy === 'throw') finish(row);
          skipped++;
          options.onSkip?.(row as StreamError);
          continue;
        }
        return { done: false, value: row };
      }
    };
    return {
      next,
      return: async () => {
        parser.destroy();
        return { done: true, value: undefined };
      },
    };
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
    get bytesRead() {
      return (source as { bytesRead?: number } | null)?.bytesRead ?? 0;
    },
    labels: reader.labels,
  };
}

/** Newlines inside quoted fields: each makes the record span one more line. */
function embeddedNewlines(fields: string[]): number {
  let count = 0;
  for (let j = 0; j < fields.length; j++) {
    const field = fields[j]!;
    // Most fields are short numbers: one indexOf each, and the loop only on a hit.
    let at = field.indexOf('\n');
    while (at !== -1) {
      count++;
      at = field.indexOf('\n', at + 1);
    }
  }
  return count;
}

function makePlan(header: string[], options: FromCsvOptions): Plan {
  const index = new Map(header.map((name, i) => [name, i]));
  const column = (name: string, role: string): number => {
    const i = index.get(name);
    if (i === undefined) {
      throw new StreamError(
        'ADAMFLOW_ERR_COLUMN_UNKNOWN',
        `fromCsv: the ${role} column ${JSON.stringify(name)} is not in the header (${header.join(', ')})`,
        { line: 1, column: name },
      );
    }
    return i;
  };
  const target = options.target === null ? -1 : column(options.target, 'target');
  const names = options.features ? [...options.features] : header.filter((_, i) => i !== target);
  const categorical = new Set(options.categorical ?? []);
  for (const name of categorical) column(name, 'categorical');
  const sources = Int32Array.from(names, (name) => column(name, 'feature'));
  const numeric = Uint8Array.from(names, (name) => (categorical.has(name) ? 0 : 1));
  return {
    columns: header.length,
    target,
    sources,
    numeric,
    names,
    targetName: options.target ?? '',
    checkTarget: options.checkTarget ?? null,
  };
}

/** A row, or the error that says why it is bad (returned, so the policy can skip it). */
function convert(
  fields: string[],
  line: number,
  plan: Plan,
  reader: TargetReader,
  index: number,
): Row | StreamError {
  if (fields.length !== plan.columns) {
    return new StreamError(
      'ADAMFLOW_ERR_ROW_LENGTH',
      `CSV line ${line}: ${fields.length} columns, but the header has ${plan.columns}`,
      { line },
    );
  }
  const { sources, numeric } = plan;
  const x: (number | string)[] = new Array(sources.length);
  for (let j = 0; j < sources.length; j++) {
    const text = fields[sources[j]!]!;
    if (numeric[j] === 0) {
      x[j] = text;
      continue;
    }
    const value = toNumber(text);
    if (Number.isNaN(value)) return badValue(line, plan.names[j]!, text, 'a finite number');
    x[j] = value;
  }
  if (plan.target < 0) return { x, y: Number.NaN, index };
  const text = fields[plan.target]!;
  let y: number;
  try {
    y = reader.read(text);
  } catch (error) {
    return asStreamError(error) as StreamError;
  }
  if (Number.isNaN(y)) return badValue(line, plan.targetName, text, reader.expected);
  const needed = plan.checkTarget?.(y) ?? null;
  if (needed !== null) return badValue(line, plan.targetName, text, needed);
  return { x, y, index };
}

function badValue(line: number, column: string, text: string, expected: string): StreamError {
  return new StreamError(
    'ADAMFLOW_ERR_ROW_VALUE',
    `CSV line ${line}, column ${JSON.stringify(column)}: expected ${expected}, got ${JSON.stringify(text)}`,
    { line, column },
  );
}

/** csv-parse's own errors (an unclosed quote, …) as a coded StreamError with their line. */
function asStreamError(error: unknown): unknown {
  if (error instanceof StreamError) return error;
  const e = error as { code?: unknown; lines?: unknown; message?: string };
  if (typeof e?.code === 'string' && e.code.startsWith('CSV_')) {
    const location = typeof e.lines === 'number' ? { line: e.lines } : {};
    return new StreamError('ADAMFLOW_ERR_DATA_SYNTAX', `CSV: ${e.message ?? e.code}`, location);
  }
  return error;
}
