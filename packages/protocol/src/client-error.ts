/** Codes of failures the client itself detects (the server's own are in `ErrorCode`). */
export const ClientErrorCode = {
  /** A command could not be queued: `maxQueue` commands already wait for the socket to open. */
  QUEUE_FULL: 'ADAMFLOW_ERR_QUEUE_FULL',
  /** No acknowledgement or error for a request within its timeout. */
  TIMEOUT: 'ADAMFLOW_ERR_TIMEOUT',
  /** The socket closed after the request was sent, before its answer came. */
  CONNECTION_CLOSED: 'ADAMFLOW_ERR_CONNECTION_CLOSED',
} as const;

/** One of {@link ClientErrorCode}'s values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * A command that failed at runtime: refused by the server (`code` is the server's, one of
 * `ErrorCode`), or failed in the client (`code` is one of {@link ClientErrorCode}).
 *
 * @example
 * ```ts
 * try {
 *   await client.request({ type: 'resume' });
 * } catch (error) {
 *   if (error instanceof ClientError && error.code === 'ADAMFLOW_ERR_COMMAND_REJECTED') console.log(error.message);
 * }
 * ```
 */
export class ClientError extends Error {
  override name = 'ClientError';
  /** A stable code: branch on it, not on the message. */
  readonly code: string;
  /** The `id` of the command it answers, when it had one. */
  readonly id: string | null;

  /**
   * @param code - the stable code.
   * @param message - what happened.
   * @param id - the command's `id`, or null.
   */
  constructor(code: string, message: string, id: string | null = null) {
    super(message);
    this.code = code;
    this.id = id;
  }
}
