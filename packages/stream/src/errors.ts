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
  | 'ADAMFLOW_ERR_COMMAND_INVALID';

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

  /**
   * @param code - the stable code.
   * @param message - what happened and how to fix it.
   */
  constructor(code: StreamErrorCode, message: string) {
    super(message);
    this.name = 'StreamError';
    this.code = code;
  }
}
