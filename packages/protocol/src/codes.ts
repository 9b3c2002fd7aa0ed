/** The protocol version carried by every snapshot; bumped on incompatible change. */
export const PROTOCOL_VERSION = 1;

/** Error codes carried by `error` messages. Stable: branch on them. */
export const ErrorCode = {
  /** A text frame that is not valid JSON. */
  INVALID_JSON: 'ADAMFLOW_ERR_INVALID_JSON',
  /** A binary frame: the protocol is JSON text only. */
  BINARY_UNSUPPORTED: 'ADAMFLOW_ERR_BINARY_UNSUPPORTED',
  /** A message whose `type` is missing or unknown. */
  UNKNOWN_TYPE: 'ADAMFLOW_ERR_UNKNOWN_TYPE',
  /** A known message with a missing, extra or out-of-range field. */
  INVALID_FIELD: 'ADAMFLOW_ERR_INVALID_FIELD',
  /** Too many messages from this connection; wait and retry. */
  RATE_LIMITED: 'ADAMFLOW_ERR_RATE_LIMITED',
  /** A command without the right control token (the server has one set). */
  UNAUTHORIZED: 'ADAMFLOW_ERR_UNAUTHORIZED',
  /** A well-formed command the trainer refused (e.g. resume when not paused). */
  COMMAND_REJECTED: 'ADAMFLOW_ERR_COMMAND_REJECTED',
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the server uses (its own are in 4000–4999). */
export const CloseCode = {
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** A frame above `maxPayload` (64 KiB); sent by ws itself. */
  MESSAGE_TOO_BIG: 1009,
  /** The client stayed above the send-buffer high-water mark for too long. */
  TOO_SLOW: 4008,
  /** The client kept sending after being rate limited. */
  POLICY_VIOLATION: 4009,
} as const;

/** One of {@link CloseCode}'s values. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
