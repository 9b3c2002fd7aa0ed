/**
 * Stable codes of `@adamflow/stream`'s runtime errors (the optimizer's own, such as
 * `ADAMFLOW_ERR_NON_FINITE_GRADIENT`, come from `@adamflow/core` unchanged).
 */
export type StreamErrorCode =
  /** A sample had the wrong number of features or a non-finite value (policy `'throw'`). */
  | 'ADAMFLOW_ERR_MALFORMED_SAMPLE'
  /** A checkpoint or generator state could not be restored. */
  | 'ADAMFLOW_ERR_CHECKPOINT_INVALID'
  /** A control command was not understood. */
  | 'ADAMFLOW_ERR_COMMAND_INVALID'
  /** A data row has a different number of columns than the header (CSV) or misses a key (NDJSON). */
  | 'ADAMFLOW_ERR_ROW_LENGTH'
  /** A data value is not what its column holds (e.g. text where a number belongs). */
  | 'ADAMFLOW_ERR_ROW_VALUE'
  /** The data cannot be parsed at all (e.g. an unclosed quote, a line that is not JSON). */
  | 'ADAMFLOW_ERR_DATA_SYNTAX'
  /** A column named in the options (target, features, categorical) is not in the data. */
  | 'ADAMFLOW_ERR_COLUMN_UNKNOWN'
  /** A one-hot column met more categories than its declared maximum. */
  | 'ADAMFLOW_ERR_CATEGORY_OVERFLOW'
  /** Training diverged: the parameters or the loss stopped being finite numbers. */
  | 'ADAMFLOW_ERR_DIVERGED'
  /** A data file changed since the position a resume starts from was taken. */
  | 'ADAMFLOW_ERR_SOURCE_CHANGED'
  /** A checkpoint, or a resume from one, was asked of a stream that cannot say where it stands (no `position()`). */
  | 'ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE'
  /** An Observable pushed more samples ahead of a session than it may hold (`maxBuffered`). */
  | 'ADAMFLOW_ERR_BUFFER_OVERFLOW';

/** Where in the data a {@link StreamError} happened, when it is about a row. */
export interface ErrorLocation {
  /** 1-based line of the file (the header is line 1). */
  line?: number;
  /** The column's name. */
  column?: string;
}

/**
 * An error with a stable `code`, delivered to subscribers as an RxJS error.
 *
 * @example
 * ```ts
 * import { StreamError } from '@adamflow/stream';
 * source.pipe(trainOnline(options)).subscribe({
 *   error: (e) => { if (e instanceof StreamError) console.log(e.code); },
 * });
 * ```
 */
export class StreamError extends Error {
  /** The stable code; branch on it, never on `message`. */
  readonly code: StreamErrorCode;
  /** The 1-based line of the data file, for errors about a row. */
  readonly line: number | undefined;
  /** The column's name, for errors about one value. */
  readonly column: string | undefined;

  /**
   * @param code - the stable code.
   * @param message - what happened and how to fix it.
   * @param location - the line and column, for errors about a row.
   */
  constructor(code: StreamErrorCode, message: string, location: ErrorLocation = {}) {
    super(message);
    this.name = 'StreamError';
    this.code = code;
    this.line = location.line;
    this.column = location.column;
  }
}
