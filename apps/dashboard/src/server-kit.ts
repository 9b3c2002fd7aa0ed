/**
 * The dashboard server's parts, for servers that are fed from elsewhere (the
 * distributed mode's gateway): the hardened HTTP answers and upgrade checks, the
 * client registry (broadcast, backpressure, heartbeat, limits), the meaning of client
 * messages, the control token and the bounded log. The run's state is
 * `@adamflow/protocol`'s `applyServerMessage`.
 *
 * @example
 * ```ts
 * import { ClientRegistry, parseRequestTarget } from '@adamflow/dashboard/server-kit';
 * ```
 *
 * @packageDocumentation
 */

// Connections
export type { AddressLimits } from './address-table.js';
export { type AllowedOrigins, allowedOrigins } from './allowed-origins.js';
// Logging
export { BoundedLog, type BoundedLogOptions, peerText } from './bounded-log.js';
export {
  ClientMessages,
  type ClientMessagesOptions,
  type CommandOutcome,
} from './client-messages.js';
export {
  type Client,
  ClientRegistry,
  type ClientRegistryOptions,
  type ConnectionLimits,
  type Refusal,
  type RegistryStats,
  registryOptions,
} from './client-registry.js';
export { ControlToken, MAX_TOKEN_LENGTH, type TokenRefusal } from './control-token.js';
// HTTP
export { answerRequest, type PageContext, refuseUpgrade, respond } from './http-answers.js';
export { type RateLimit, TokenBucket } from './rate-limiter.js';
export { MAX_TARGET_LENGTH, parseRequestTarget, type RequestTarget } from './request-target.js';
export { SECURITY_HEADERS } from './security-headers.js';
