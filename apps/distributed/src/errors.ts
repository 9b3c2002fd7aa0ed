/**
 * Stable codes of the distributed mode's runtime failures.
 */
export type DistributedErrorCode =
  /** The session holds samples of another source than the one asked for. */
  | 'ADAMFLOW_ERR_SESSION_SOURCE_MISMATCH'
  /** The session has no samples yet (nothing was produced into it). */
  | 'ADAMFLOW_ERR_SESSION_UNKNOWN'
  /** The session's stream is not what produce wrote (gaps, foreign messages, recreated). */
  | 'ADAMFLOW_ERR_STREAM_CORRUPT'
  /** A sample message could not be decoded. */
  | 'ADAMFLOW_ERR_SAMPLE_MESSAGE_INVALID'
  /** A gradient message could not be decoded. */
  | 'ADAMFLOW_ERR_GRADIENT_MESSAGE_INVALID'
  /** A parameter update message could not be decoded. */
  | 'ADAMFLOW_ERR_UPDATE_MESSAGE_INVALID'
  /** The stored checkpoint was made with another configuration. */
  | 'ADAMFLOW_ERR_CONFIG_MISMATCH'
  /** The stored checkpoint could not be read. */
  | 'ADAMFLOW_ERR_CHECKPOINT_INVALID'
  /** There is no checkpoint for the session yet. */
  | 'ADAMFLOW_ERR_CHECKPOINT_MISSING'
  /** Another trainer holds the session's lease. */
  | 'ADAMFLOW_ERR_LEASE_HELD'
  /** This trainer lost its lease (another one took over); it stops without writing. */
  | 'ADAMFLOW_ERR_LEASE_LOST'
  /** The connection to NATS was lost. */
  | 'ADAMFLOW_ERR_NATS_DISCONNECTED'
  /** A gradient session's trainer or worker builds another model than the session records. */
  | 'ADAMFLOW_ERR_MODEL_MISMATCH'
  /** The model's gradient messages would exceed the server's max_payload. */
  | 'ADAMFLOW_ERR_MODEL_TOO_LARGE';

/**
 * An error with a stable `code`; the commands print the message and the code.
 *
 * @example
 * ```ts
 * import { DistributedError } from './errors.js';
 * try {
 *   throw new DistributedError('ADAMFLOW_ERR_LEASE_HELD', 'session a is trained elsewhere');
 * } catch (error) {
 *   if (error instanceof DistributedError) console.log(error.code);
 * }
 * ```
 */
export class DistributedError extends Error {
  /** The stable code; branch on it, never on `message`. */
  readonly code: DistributedErrorCode;

  /**
   * @param code - the stable code.
   * @param message - what happened and how to fix it.
   */
  constructor(code: DistributedErrorCode, message: string) {
    super(message);
    this.name = 'DistributedError';
    this.code = code;
  }
}
