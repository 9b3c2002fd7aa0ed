/**
 * `@adamflow/protocol`: the dashboard's wire format (JSON text over WebSocket),
 * validators, and an RxJS client. See the README for every message and code.
 *
 * @packageDocumentation
 */

export type {
  ConnectionStatus,
  ConnectOptions,
  DashboardClient,
  RequestOptions,
} from './client.js';
// Client
export { connect } from './client.js';
export { ClientError, ClientErrorCode } from './client-error.js';
// Versions and codes
export { CloseCode, ErrorCode, PROTOCOL_VERSION } from './codes.js';
export type { Standing } from './leaderboard.js';
export { leaderboardOf } from './leaderboard.js';
export type {
  ClientMessage,
  Command,
  CommandAck,
  Config,
  ContestantConfig,
  ContestantOptions,
  ContestantStatus,
  Diverged,
  ErrorMessage,
  ParamsUpdate,
  ParseResult,
  ServerMessage,
  Snapshot,
  StateChanged,
} from './messages.js';
// Messages
export {
  CLIENT_TYPES,
  ClientMessageSchema,
  ContestantOptionsSchema,
  DivergedSchema,
  MAX_CLIENT_DEPTH,
  MAX_CONTESTANTS,
  MAX_ERROR_LENGTH,
  MAX_PARAM_COUNT,
  MAX_RATE,
  MIN_RATE,
  OPTIMIZERS,
  PRIMARY_CONTESTANT,
  parseClientFrame,
  parseClientMessage,
  parseServerMessage,
  ServerMessageSchema,
  SOURCES,
  STATE_REASONS,
} from './messages.js';
// Samples and the session view
export { MAX_RECENT_PER_UPDATE, SampleThinner } from './sample-thinner.js';
export type {
  ContestantHistory,
  SessionView,
  SessionViewLimits,
  ViewHistory,
} from './session-view.js';
export { applyServerMessage, emptySessionView, snapshotOfView } from './session-view.js';
