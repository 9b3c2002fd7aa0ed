import * as v from 'valibot';

// Client -> server ---------------------------------------------------------------

const id = v.optional(v.pipe(v.string(), v.maxLength(64)));
const token = v.optional(v.pipe(v.string(), v.maxLength(256)));
const base = { id, token };

/**
 * The optimizers a client can choose: the names of `@adamflow/core`'s registry, in its
 * order (this package stays free of core; a cross-package test keeps the two equal).
 */
export const OPTIMIZERS = [
  'adam',
  'adamw',
  'amsgrad',
  'sgd',
  'rmsprop',
  'adamax',
  'nadam',
  'radam',
  'adagrad',
  'adadelta',
] as const;
/** The sources a client can choose. */
export const SOURCES = ['seed', 'multilinear', 'drift', 'logistic'] as const;

/** Validator of every client message (strict: unknown fields are refused). */
export const ClientMessageSchema = v.variant('type', [
  v.strictObject({ type: v.literal('pause'), ...base }),
  v.strictObject({ type: v.literal('resume'), ...base }),
  v.strictObject({ type: v.literal('reset'), ...base }),
  v.strictObject({
    type: v.literal('set-lr'),
    lr: v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(10)),
    ...base,
  }),
  v.strictObject({ type: v.literal('set-optimizer'), optimizer: v.picklist(OPTIMIZERS), ...base }),
  v.strictObject({ type: v.literal('set-source'), source: v.picklist(SOURCES), ...base }),
  v.strictObject({ type: v.literal('snapshot-request'), ...base }),
]);

/** Any message a client may send. */
export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;
/** The commands (client messages that change the run). */
export type Command = Exclude<ClientMessage, { type: 'snapshot-request' }>;
/** The `type`s of client messages. */
export const CLIENT_TYPES = [
  'pause',
  'resume',
  'reset',
  'set-lr',
  'set-optimizer',
  'set-source',
  'snapshot-request',
] as const;

// Server -> client ---------------------------------------------------------------

const finiteOrNull = v.nullable(v.number());
const numbers = v.array(v.number());

/** The run's configuration. */
export const ConfigSchema = v.object({
  source: v.picklist(SOURCES),
  model: v.picklist(['linear-regression', 'logistic-regression']),
  features: v.number(),
  optimizer: v.picklist(OPTIMIZERS),
  lr: v.number(),
  batchSize: v.number(),
  rate: v.nullable(v.number()),
  paused: v.boolean(),
});
export type Config = v.InferOutput<typeof ConfigSchema>;

const RecentSchema = v.object({ x: numbers, y: numbers });

/** Sent once on connect and on `snapshot-request`: everything needed to draw. */
export const SnapshotSchema = v.object({
  type: v.literal('snapshot'),
  protocol: v.number(),
  seq: v.number(),
  time: v.number(),
  config: ConfigSchema,
  /** The true parameters (intercept first) for reference lines, when the source has them. */
  truth: v.nullable(numbers),
  params: numbers,
  step: v.number(),
  samples: v.number(),
  samplesPerSecond: v.number(),
  loss: finiteOrNull,
  lossEma: finiteOrNull,
  /** Downsampled history: one entry per point, params as one array per parameter. */
  history: v.object({ step: numbers, loss: numbers, lossEma: numbers, params: v.array(numbers) }),
  /** Recent samples for the scatter (first feature and target). */
  recent: RecentSchema,
  clients: v.number(),
});
export type Snapshot = v.InferOutput<typeof SnapshotSchema>;

/** Broadcast at most 30 times a second (latest wins): where training is now. */
export const ParamsUpdateSchema = v.object({
  type: v.literal('params-update'),
  seq: v.number(),
  time: v.number(),
  step: v.number(),
  samples: v.number(),
  params: numbers,
  loss: finiteOrNull,
  lossEma: finiteOrNull,
  samplesPerSecond: v.number(),
  /** The true parameters now (they move on the drift source), or null. */
  truth: v.nullable(numbers),
  /** Samples drawn since the previous update (at most 32, evenly thinned, 4 decimals). */
  recent: RecentSchema,
});
export type ParamsUpdate = v.InferOutput<typeof ParamsUpdateSchema>;

/** Broadcast after every accepted command: the resulting state. */
export const StateChangedSchema = v.object({
  type: v.literal('state-changed'),
  seq: v.number(),
  time: v.number(),
  reason: v.picklist(['pause', 'resume', 'reset', 'set-lr', 'set-optimizer', 'set-source']),
  config: ConfigSchema,
  truth: v.nullable(numbers),
  params: numbers,
  step: v.number(),
  samples: v.number(),
});
export type StateChanged = v.InferOutput<typeof StateChangedSchema>;

/** To the sender of a command that was applied. */
export const CommandAckSchema = v.object({
  type: v.literal('command-ack'),
  id: v.nullable(v.string()),
  command: v.string(),
});
export type CommandAck = v.InferOutput<typeof CommandAckSchema>;

/** To the sender of a message that was refused. */
export const ErrorMessageSchema = v.object({
  type: v.literal('error'),
  code: v.string(),
  message: v.string(),
  id: v.nullable(v.string()),
});
export type ErrorMessage = v.InferOutput<typeof ErrorMessageSchema>;

/** Validator of every server message. */
export const ServerMessageSchema = v.variant('type', [
  SnapshotSchema,
  ParamsUpdateSchema,
  StateChangedSchema,
  CommandAckSchema,
  ErrorMessageSchema,
]);
export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;

/** The outcome of parsing untrusted input. */
export type ParseResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      code: 'ADAMFLOW_ERR_UNKNOWN_TYPE' | 'ADAMFLOW_ERR_INVALID_FIELD';
      message: string;
    };

/**
 * Validates a parsed JSON value as a client message.
 *
 * @param input - `JSON.parse` of a text frame.
 * @returns the typed message, or the error code and a message saying what to fix.
 * @example
 * ```ts
 * import { parseClientMessage } from '@adamflow/protocol';
 * parseClientMessage({ type: 'set-lr', lr: 0.01 }); // { ok: true, value: ... }
 * parseClientMessage({ type: 'set-lr', lr: -1 });   // { ok: false, code: 'ADAMFLOW_ERR_INVALID_FIELD', ... }
 * ```
 */
export function parseClientMessage(input: unknown): ParseResult<ClientMessage> {
  const type = (input as { type?: unknown } | null)?.type;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      code: 'ADAMFLOW_ERR_UNKNOWN_TYPE',
      message: 'a message must be a JSON object with a string "type"',
    };
  }
  if (typeof type !== 'string' || !(CLIENT_TYPES as readonly string[]).includes(type)) {
    return {
      ok: false,
      code: 'ADAMFLOW_ERR_UNKNOWN_TYPE',
      message: `unknown message type ${JSON.stringify(type)}; expected one of ${CLIENT_TYPES.join(', ')}`,
    };
  }
  const result = v.safeParse(ClientMessageSchema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = issue?.path?.map((p) => String(p.key)).join('.') || '(message)';
  return {
    ok: false,
    code: 'ADAMFLOW_ERR_INVALID_FIELD',
    message: `${type}: field ${path}: ${issue?.message ?? 'invalid'}`,
  };
}

/**
 * Validates a parsed JSON value as a server message.
 *
 * @param input - `JSON.parse` of a text frame from the server.
 * @returns the typed message, or undefined when it does not validate.
 * @example
 * ```ts
 * import { parseServerMessage } from '@adamflow/protocol';
 * const message = parseServerMessage(JSON.parse(text));
 * ```
 */
export function parseServerMessage(input: unknown): ServerMessage | undefined {
  const result = v.safeParse(ServerMessageSchema, input);
  return result.success ? result.output : undefined;
}
