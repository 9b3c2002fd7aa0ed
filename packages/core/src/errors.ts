/**
 * Stable codes carried by every runtime failure of `@adamflow/core`.
 *
 * Misuse (a bad option, a gradient of the wrong length) throws a plain
 * `TypeError`/`RangeError` instead: those are programming errors, not conditions
 * to branch on.
 */
export type AdamflowErrorCode =
  /** `step()` saw a NaN or ±Infinity gradient entry with `nonFinite: 'throw'`. */
  | 'ADAMFLOW_ERR_NON_FINITE_GRADIENT'
  /** `loadState()` got something that is not an optimizer snapshot. */
  | 'ADAMFLOW_ERR_STATE_MALFORMED'
  /** `loadState()` got a snapshot of a format version this build cannot read. */
  | 'ADAMFLOW_ERR_STATE_VERSION'
  /** `loadState()` got a snapshot of another optimizer kind or dtype. */
  | 'ADAMFLOW_ERR_STATE_KIND'
  /** `loadState()` got a snapshot for a different number of parameters. */
  | 'ADAMFLOW_ERR_STATE_LENGTH'
  /** `loadState()` got a snapshot whose parameter groups' ranges are not this optimizer's. */
  | 'ADAMFLOW_ERR_STATE_GROUPS';

/**
 * An error with a stable, documented `code`, in the manner of ws's `WS_ERR_*`.
 *
 * @example
 * ```ts
 * import { Adam, AdamflowError } from '@adamflow/core';
 * const opt = new Adam(new Float64Array(2));
 * try {
 *   opt.step([Number.NaN, 0]);
 * } catch (error) {
 *   if (error instanceof AdamflowError) console.log(error.code); // 'ADAMFLOW_ERR_NON_FINITE_GRADIENT'
 * }
 * ```
 */
export class AdamflowError extends Error {
  /** The stable code; branch on this, never on `message`. */
  readonly code: AdamflowErrorCode;

  /**
   * @param code - the stable code.
   * @param message - a sentence for people: what happened and what to do.
   */
  constructor(code: AdamflowErrorCode, message: string) {
    super(message);
    this.name = 'AdamflowError';
    this.code = code;
  }
}
