import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type Parser, parse } from 'csv-parse';
import { StreamError } from '../errors.js';
import { csvParserOptions, offsetOfLine, seekTo, stampOf } from './csv-seek.js';
import type { LabelEncoder } from './label-encoder.js';
import {
  type BadRowPolicy,
  checkPolicy,
  checkPosition,
  type FileStamp,
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
 * after them. On a plain file path it also holds the byte offset (and line) of the next
 * row, found by scanning the file for the line ends the rows span (line ends `\n` or
 * `\r\n`; synchronous, and each call scans only the bytes past the previous one), and
 * a stamp of the file (size, modification time, a SHA-256 of the header row):
 * a resume checks the stamp (`ADAMFLOW_ERR_SOURCE_CHANGED` if the file changed, or if
 * the offset does not start a row) and opens the file at that byte, reading nothing
 * before it but the header. A `.gz` file or a Readable cannot seek: they fall back to
 * parsing the rows before the position again and dropping them (a byte offset in
 * `from` is then ignored), and their positions hold `rows` only. Iterating again
 * reopens the input at `from`.
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
  // A plain file can be resumed at a byte offset: its positions say where the next row
  // starts (found from the line count when a position is asked for).
  const path = typeof input === 'string' && !gzip ? input : null;
  const delimiter = options.delimiter ?? ',';
  let rows = start;
  let skipped = 0;
  let features: string[] = [];
  let source: Readable | null = null;
  // The file as opened (null until its header is read), the line ending the last row
  // counted in `rows`, and a known (line, byte offset) pair to scan on from.
  let stamp: FileStamp | null = null;
  let lineAt = 0;
  let known = { line: 0, byte: 0 };

  // A hand-written async iterator reading the parser with read(): one promise per row,
  // where an async generator over the parser's own iterator made two and a generator
  // resumption (measured 20-30% of parse-only time).
  function iterate(): AsyncIterator<Row> {
    rows = start;
    stamp = null;
    known = { line: 0, byte: 0 };
    let plan: Plan | null = null;
    // Physical line of the record at hand (the header is line 1). csv-parse's on_record
    // would tell it, but builds an info object per record: counting here is far cheaper.
    let line = 0;
    let dropped = 0;
    let ended = false;
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    let parser: Parser | null = null;
    const notify = () => wake?.();
    /** Opens the input: a plain file resumed from a byte position opens at that byte. */
    const openInput = async (): Promise<Parser> => {
      const seek =
        path !== null && options.from?.byte !== undefined
          ? await seekTo(path, options.from, delimiter)
          : null;
      if (seek) {
        plan = makePlan(seek.header, options);
        features = plan.names;
        line = seek.line;
        lineAt = seek.line;
        known = { line: seek.line, byte: seek.byte };
        dropped = start;
        stamp = seek.stamp;
      }
      const opened = parse(csvParserOptions(delimiter, false));
      opened.on('readable', notify);
      opened.on('end', () => {
        ended = true;
        notify();
      });
      opened.on('close', () => {
        ended = true;
        notify();
      });
      opened.on('error', (error) => {
        failure ??= error;
        notify();
      });
      source =
        typeof input === 'string'
          ? createReadStream(input, seek ? { start: seek.byte } : {})
          : (input as Readable);
      const stages = gzip ? [source, createGunzip(), opened] : [source, opened];
      // pipeline() destroys every stage on error or when the parser is destroyed early.
      (pipeline as (...streams: unknown[]) => void)(...stages, () => {});
      return opened;
    };
    const finish = (error: unknown): never => {
      parser?.destroy();
      throw asStreamError(error);
    };
    const next = async (): Promise<IteratorResult<Row>> => {
      if (parser === null) {
        try {
          parser = await openInput();
        } catch (error) {
          ended = true;
          throw error;
        }
      }
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
            lineAt = line;
            if (path !== null) stamp = await stampOf(path, fields);
          } catch (error) {
            finish(error);
          }
          features = plan!.names;
          continue;
        }
        if (fields.length === 1 && fields[0] === '' && plan.columns > 1) continue;
        // Every row counted in `rows` (dropped, bad or yielded) moves the position past it.
        lineAt = line;
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
        parser?.destroy();
        ended = true;
        return { done: true, value: undefined };
      },
    };
  }

  return {
    [Symbol.asyncIterator]: iterate,
    position: () => {
      const file: FileStamp | null = stamp;
      if (path === null || file === null) return { rows };
      known = { line: lineAt, byte: offsetOfLine(path, known, lineAt) };
      return { rows, byte: known.byte, line: lineAt, file: { ...file } };
    },
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
