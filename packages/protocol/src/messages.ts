import { sourceNames } from '@adamflow/stream/catalogue';
import * as v from 'valibot';

// Client -> server ---------------------------------------------------------------

const id = v.optional(v.pipe(v.string(), v.maxLength(64)));
const token = v.optional(v.pipe(v.string(), v.maxLength(256)));
const base = { id, token };
const lr = v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(10));

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
/**
 * The sources a client can choose: the names of `@adamflow/stream`'s source catalogue,
 * in its order (from its dependency-free `catalogue` subpath: no RxJS, no core).
 */
export const SOURCES = sourceNames;

/** Fewest training samples per second `set-rate` accepts. */
export const MIN_RATE = 1;
/** Most training samples per second `set-rate` accepts (`null` trains flat out instead). */
export const MAX_RATE = 100_000;

/** `set-rate`: samples per second in [{@link MIN_RATE}, {@link MAX_RATE}], or null for flat out. */
const SetRateSchema = v.strictObject({
  type: v.literal('set-rate'),
  rate: v.nullable(v.pipe(v.number(), v.finite(), v.minValue(MIN_RATE), v.maxValue(MAX_RATE))),
  ...base,
});
/** `checkpoint`: write the run's checkpoint file now. */
const CheckpointSchema = v.strictObject({ type: v.literal('checkpoint'), ...base });
/** `restore`: go back to the checkpoint last written. */
const RestoreSchema = v.strictObject({ type: v.literal('restore'), ...base });

// What an out-of-range value of these fields should have been, for people (valibot's
// own `expected` says only `>=1` or `<=100000`).
const FIELD_HINTS: Record<string, string> = {
  'set-rate.rate': `a number of samples per second from ${MIN_RATE} to ${MAX_RATE}, or null to train flat out`,
};
/** Contestants in a race at most, the primary one (the run's own optimizer) included. */
export const MAX_CONTESTANTS = 8;
/** The id of the primary contestant: the run's own optimizer, steered by `set-lr` and `set-optimizer`. */
export const PRIMARY_CONTESTANT = 'primary';

const unit = v.pipe(v.number(), v.finite(), v.minValue(0), v.ltValue(1));
/**
 * A contestant's optimizer options, by the paper's names. Each is optional and checked
 * for range here; whether the optimizer takes it (e.g. `momentum` for SGD and RMSProp,
 * `rho` for Adadelta) the trainer checks, refusing the command if not.
 */
export const ContestantOptionsSchema = v.strictObject({
  lr: v.optional(lr),
  beta1: v.optional(unit),
  beta2: v.optional(unit),
  eps: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1))),
  weightDecay: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1))),
  momentum: v.optional(unit),
  dampening: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1))),
  nesterov: v.optional(v.boolean()),
  alpha: v.optional(unit),
  centered: v.optional(v.boolean()),
  rho: v.optional(unit),
});
export type ContestantOptions = v.InferOutput<typeof ContestantOptionsSchema>;
const contestantId = v.pipe(v.string(), v.minLength(1), v.maxLength(16));

/** Validator of every client message (strict: unknown fields are refused). */
export const ClientMessageSchema = v.variant('type', [
  v.strictObject({ type: v.literal('pause'), ...base }),
  v.strictObject({ type: v.literal('resume'), ...base }),
  v.strictObject({ type: v.literal('reset'), ...base }),
  v.strictObject({
    type: v.literal('set-lr'),
    lr,
    ...base,
  }),
  v.strictObject({
    type: v.literal('set-optimizer'),
    optimizer: v.picklist(OPTIMIZERS),
    /** Optional: the learning rate to switch with; omitted, the current one is kept. */
    lr: v.optional(lr),
    ...base,
  }),
  v.strictObject({ type: v.literal('set-source'), source: v.picklist(SOURCES), ...base }),
  v.strictObject({ type: v.literal('snapshot-request'), ...base }),
  SetRateSchema,
  CheckpointSchema,
  RestoreSchema,
  v.strictObject({
    type: v.literal('add-contestant'),
    optimizer: v.picklist(OPTIMIZERS),
    /** Over the optimizer's demo options; omitted, the demo options as they are. */
    options: v.optional(ContestantOptionsSchema),
    /** A label for people; default the optimizer's name. */
    name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(32))),
    ...base,
  }),
  v.strictObject({ type: v.literal('remove-contestant'), contestant: contestantId, ...base }),
  v.strictObject({
    type: v.literal('retune-contestant'),
    contestant: contestantId,
    options: ContestantOptionsSchema,
    ...base,
  }),
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
  'set-rate',
  'checkpoint',
  'restore',
  'add-contestant',
  'remove-contestant',
  'retune-contestant',
] as const;

// Server -> client ---------------------------------------------------------------

const finiteOrNull = v.nullable(v.number());
const numbers = v.array(v.number());

/**
 * The largest model parameter count a frame may claim (`paramCount`): far above any
 * model a page follows, and a bound on what a peer can make a client believe.
 */
export const MAX_PARAM_COUNT = 1_000_000_000;
/**
 * The model's parameter count, sent with `params` when they are only its first ones (a
 * big model: a gateway relays a trainer's first 1024). At least `params.length` (checked
 * by {@link ServerMessageSchema}) and at most {@link MAX_PARAM_COUNT}; absent, `params`
 * is the whole model.
 */
const paramCount = v.optional(
  v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_PARAM_COUNT)),
);

const RecentSchema = v.object({ x: numbers, y: numbers });

/**
 * Why training stopped by itself: the run diverged (a non-finite gradient or
 * parameter). While set, `config.paused` is true and no `params-update` is sent;
 * `reset`, `set-lr`, `set-optimizer` and `set-source` restart it from the initial
 * parameters.
 */
export const DivergedSchema = v.object({
  /** `ADAMFLOW_ERR_NON_FINITE_GRADIENT`, `ADAMFLOW_ERR_NON_FINITE_PARAMS`, or the trainer's own code. */
  code: v.string(),
  /** What happened, for people (at most 300 characters). */
  message: v.pipe(v.string(), v.maxLength(300)),
  /** The optimizer step and sample count where it stopped. */
  step: v.number(),
  samples: v.number(),
});
export type Diverged = v.InferOutput<typeof DivergedSchema>;

/** A contestant of the race: who it is and how it is tuned. */
export const ContestantConfigSchema = v.object({
  /** Stable while it races (`c1`, `c2`, ...; never `primary`). */
  id: v.string(),
  name: v.string(),
  optimizer: v.picklist(OPTIMIZERS),
  /** The options it was entered or last re-tuned with, over its optimizer's demo options. */
  options: ContestantOptionsSchema,
  /** Its colour on the page: 1 to 7 (0 is the primary contestant's). */
  colour: v.number(),
  /** Set when this contestant diverged: it stopped, the others race on; retune, remove or reset. */
  diverged: v.nullable(DivergedSchema),
});
export type ContestantConfig = v.InferOutput<typeof ContestantConfigSchema>;

/** Where a contestant is now (in `params-update`, `state-changed` and `snapshot`). */
export const ContestantStatusSchema = v.object({
  id: v.string(),
  /** Its parameters, intercept first (the last finite ones if it diverged). */
  params: numbers,
  /** Its last prequential loss and their debiased EMA (the rolling loss it is ranked by). */
  loss: finiteOrNull,
  lossEma: finiteOrNull,
  /** Its optimizer steps since it entered (or was reset). */
  steps: v.number(),
});
export type ContestantStatus = v.InferOutput<typeof ContestantStatusSchema>;
const contestantStatuses = v.optional(v.array(ContestantStatusSchema));

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
  /** The race beside the primary contestant (the run's own optimizer); absent or empty when there is none. */
  contestants: v.optional(v.array(ContestantConfigSchema)),
});
export type Config = v.InferOutput<typeof ConfigSchema>;

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
  paramCount,
  step: v.number(),
  samples: v.number(),
  samplesPerSecond: v.number(),
  loss: finiteOrNull,
  lossEma: finiteOrNull,
  /** Downsampled history: one entry per point, params as one array per parameter. */
  history: v.object({
    step: numbers,
    loss: numbers,
    lossEma: numbers,
    params: v.array(numbers),
    /** One point kept per `stride` offered (absent from older servers: 1). */
    stride: v.optional(v.number()),
    /** Points offered since the history was cleared (absent from older servers). */
    offered: v.optional(v.number()),
    /** Each contestant's rolling loss and parameters at the same points (null before it entered). */
    contestants: v.optional(
      v.array(
        v.object({
          id: v.string(),
          lossEma: v.array(v.nullable(v.number())),
          params: v.array(v.array(v.nullable(v.number()))),
        }),
      ),
    ),
  }),
  /** Recent samples for the scatter (first feature and target). */
  recent: RecentSchema,
  clients: v.number(),
  /** Set when training stopped because the run diverged; null while it is healthy. */
  diverged: v.nullable(DivergedSchema),
  /** Where each contestant of `config.contestants` is. */
  contestants: contestantStatuses,
  /**
   * Which history `seq` counts in, when the server can resume: a client that reconnects
   * with `?seq=S&epoch=E` (the last it saw) gets exactly the frames after `S`, or a
   * fresh snapshot when they are gone or the epoch changed. A gateway sends it; the
   * single-process dashboard does not (every connect starts with a snapshot).
   */
  epoch: v.optional(v.pipe(v.string(), v.maxLength(64))),
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
  paramCount,
  loss: finiteOrNull,
  lossEma: finiteOrNull,
  samplesPerSecond: v.number(),
  /** The true parameters now (they move on the drift source), or null. */
  truth: v.nullable(numbers),
  /** Samples drawn since the previous update (at most 32, evenly thinned, 4 decimals). */
  recent: RecentSchema,
  /** Where each contestant of `config.contestants` is. */
  contestants: contestantStatuses,
});
export type ParamsUpdate = v.InferOutput<typeof ParamsUpdateSchema>;

/** The `reason`s of a `state-changed`. */
export const STATE_REASONS = [
  'pause',
  'resume',
  'reset',
  'set-lr',
  'set-optimizer',
  'set-source',
  'diverged',
  'set-rate',
  'restore',
  'add-contestant',
  'remove-contestant',
  'retune-contestant',
  /** A contestant (not the primary) diverged: it stopped, the run goes on. */
  'contestant-diverged',
] as const;

/** Broadcast after accepted commands and when training diverges: the resulting state. */
export const StateChangedSchema = v.object({
  type: v.literal('state-changed'),
  seq: v.number(),
  time: v.number(),
  /**
   * The command that caused it, or `diverged` when training stopped by itself. Changes
   * are merged (at most one per broadcast tick); a merged `set-source` or `reset` wins.
   */
  reason: v.picklist(STATE_REASONS),
  config: ConfigSchema,
  truth: v.nullable(numbers),
  params: numbers,
  paramCount,
  step: v.number(),
  samples: v.number(),
  /** Set when training stopped because the run diverged; null while it is healthy. */
  diverged: v.nullable(DivergedSchema),
  /** Where each contestant of `config.contestants` is. */
  contestants: contestantStatuses,
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

/**
 * Validator of every server message. A frame's `paramCount`, when present, is at least
 * its `params.length` (it counts the parameters `params` are the first of).
 */
export const ServerMessageSchema = v.pipe(
  v.variant('type', [
    SnapshotSchema,
    ParamsUpdateSchema,
    StateChangedSchema,
    CommandAckSchema,
    ErrorMessageSchema,
  ]),
  v.check(
    (message) =>
      !('paramCount' in message) ||
      message.paramCount === undefined ||
      message.paramCount >= message.params.length,
    'paramCount must be at least the number of params sent',
  ),
);
export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;

/** The outcome of parsing untrusted input. */
export type ParseResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      code:
        | 'ADAMFLOW_ERR_INVALID_JSON'
        | 'ADAMFLOW_ERR_UNKNOWN_TYPE'
        | 'ADAMFLOW_ERR_INVALID_FIELD';
      message: string;
      /** The message's `id`, when it had a valid one (to echo in the error). */
      id?: string;
    };

/** Deepest nesting a client frame may have; every client message is flat (depth 1). */
export const MAX_CLIENT_DEPTH = 4;

/**
 * Parses and validates one text frame from a client. Never throws and never recurses
 * over the peer's data: nesting deeper than {@link MAX_CLIENT_DEPTH} is refused by a
 * linear scan before `JSON.parse`, and error messages quote at most a few dozen
 * characters of what was sent.
 *
 * @param text - the frame's text (the server bounds its size).
 * @returns the typed message, or the error code and a message saying what to fix.
 * @example
 * ```ts
 * import { parseClientFrame } from '@adamflow/protocol';
 * parseClientFrame('{"type":"pause"}'); // { ok: true, value: { type: 'pause' } }
 * parseClientFrame('[[[[[[1]]]]]]');    // { ok: false, code: 'ADAMFLOW_ERR_INVALID_JSON', ... }
 * ```
 */
export function parseClientFrame(text: string): ParseResult<ClientMessage> {
  if (nestingExceeds(text, MAX_CLIENT_DEPTH)) {
    return {
      ok: false,
      code: 'ADAMFLOW_ERR_INVALID_JSON',
      message: `the message nests deeper than ${MAX_CLIENT_DEPTH} levels; every message is one flat JSON object`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      ok: false,
      code: 'ADAMFLOW_ERR_INVALID_JSON',
      message: 'the message is not valid JSON',
    };
  }
  return parseClientMessage(json);
}

/**
 * Validates a parsed JSON value as a client message. Error messages are bounded
 * (at most {@link MAX_ERROR_LENGTH} characters) whatever the input.
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
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      code: 'ADAMFLOW_ERR_UNKNOWN_TYPE',
      message: 'a message must be a JSON object with a string "type"',
    };
  }
  const type = Object.hasOwn(input, 'type') ? (input as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !(CLIENT_TYPES as readonly string[]).includes(type)) {
    return {
      ok: false,
      code: 'ADAMFLOW_ERR_UNKNOWN_TYPE',
      message: clip(
        `unknown message type ${describe(type)}; expected one of ${CLIENT_TYPES.join(', ')}`,
      ),
    };
  }
  const result = v.safeParse(ClientMessageSchema, input);
  if (result.success) return { ok: true, value: result.output };
  const id = Object.hasOwn(input, 'id') ? (input as { id?: unknown }).id : undefined;
  const issue = result.issues[0];
  const path = issue?.path?.map((p) => describeKey(p.key)).join('.') || '(message)';
  const hint = FIELD_HINTS[`${type}.${path}`];
  const expected = hint
    ? `expected ${hint}`
    : issue?.expected
      ? `expected ${clip(issue.expected, 120)}`
      : 'invalid';
  // A strict object reports a missing key and a surplus one alike; only a surplus one has input.
  const unknownKey = issue?.expected === 'never' && issue.input !== undefined;
  return {
    ok: false,
    code: 'ADAMFLOW_ERR_INVALID_FIELD',
    ...(typeof id === 'string' && id.length <= 64 ? { id } : {}),
    message: clip(
      unknownKey
        ? `${type}: field ${path} is not part of this message; remove it`
        : issue?.input === undefined
          ? `${type}: field ${path} is required`
          : `${type}: field ${path}: ${expected}, got ${describe(issue.input)}`,
    ),
  };
}

/** Longest error message {@link parseClientMessage} returns. */
export const MAX_ERROR_LENGTH = 300;

function clip(text: string, length = MAX_ERROR_LENGTH): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** A short, non-recursive description of a value a peer sent. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= 32
      ? JSON.stringify(value)
      : `${JSON.stringify(value.slice(0, 32))}… (${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function describeKey(key: unknown): string {
  const text = String(key);
  return text.length <= 32 ? text : `${text.slice(0, 32)}…`;
}

/** Whether `text` has brackets nested deeper than `limit` (outside strings); linear, no recursion. */
function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
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
