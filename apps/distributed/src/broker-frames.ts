import {
  type Config,
  MAX_PARAM_COUNT,
  OPTIMIZERS,
  type ParamsUpdate,
  type StateChanged,
} from '@adamflow/protocol';

/** One message of a session's updates stream, as the gateway reads it. */
export interface BrokerMessage {
  /** Its stream sequence: the protocol's `seq`, the same on every gateway. */
  seq: number;
  /** When JetStream stored it, ms since the epoch: the protocol's `time`. */
  time: number;
  data: Uint8Array;
}

/** What a session looks like to viewers, apart from what its messages say. */
export interface SessionLook {
  session: string;
  /** The configuration's constant part (source, model, features; rate is null). */
  config: Config;
  /** The source's true parameters, or null (drift moves them). */
  truth: number[] | null;
}

/** A frame made from a broker message, or why the message was skipped. */
export type FrameResult =
  | { ok: true; frame: ParamsUpdate | StateChanged }
  | { ok: false; reason: string };

/** Default bound on one broker message's size, in bytes. */
export const MAX_BROKER_MESSAGE_BYTES = 1024 * 1024;

const decoder = new TextDecoder();
// The commands a distributed trainer takes (never set-source, never a divergence).
const TRAINER_REASONS: ReadonlySet<StateChanged['reason']> = new Set([
  'pause',
  'resume',
  'reset',
  'set-lr',
  'set-optimizer',
]);

/**
 * Turns a session's updates-stream messages (the trainer's `adamflow.params-update`
 * and `adamflow.trainer-state`) into the protocol's `params-update` and
 * `state-changed` frames. A frame is a function of its message and the one before it
 * in the stream (for `samplesPerSecond`), so every gateway that reads the same stream
 * makes byte-identical frames. A message that is too large, not JSON, or not one of
 * the two shapes (or carries a non-finite number) is skipped with a reason; nothing
 * here throws on what the broker delivers.
 *
 * @example
 * ```ts
 * import { FrameBuilder } from './broker-frames.js';
 * declare const look: import('./broker-frames.js').SessionLook;
 * const frames = new FrameBuilder(look);
 * const result = frames.next({ seq: 1, time: Date.now(), data: new Uint8Array() });
 * if (!result.ok) console.log(result.reason);
 * ```
 */
export class FrameBuilder {
  private previous: { seq: number; time: number; samples: number } | undefined;

  constructor(
    private readonly look: SessionLook,
    private readonly maxBytes = MAX_BROKER_MESSAGE_BYTES,
  ) {}

  /** The frame for `message` (the next one in stream order). */
  next(message: BrokerMessage): FrameResult {
    const previous = this.previous;
    this.previous = undefined;
    if (message.data.length > this.maxBytes) {
      return { ok: false, reason: `${message.data.length} bytes, more than ${this.maxBytes}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(message.data));
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
    const body = json as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || body['session'] !== this.look.session) {
      return { ok: false, reason: `not a message of session ${this.look.session}` };
    }
    const position = readPosition(body);
    if (position === undefined) {
      return { ok: false, reason: 'samples, step, params or paramCount invalid' };
    }
    if (body['format'] === 'adamflow.params-update' && body['version'] === 1) {
      const lossEma = body['lossEma'];
      if (!(typeof lossEma === 'number' && Number.isFinite(lossEma))) {
        return { ok: false, reason: 'lossEma invalid' };
      }
      this.previous = { seq: message.seq, time: message.time, samples: position.samples };
      const seconds = previous?.seq === message.seq - 1 ? (message.time - previous.time) / 1000 : 0;
      const samplesPerSecond =
        seconds > 0 ? Math.round((position.samples - (previous?.samples ?? 0)) / seconds) : 0;
      return {
        ok: true,
        frame: {
          type: 'params-update',
          seq: message.seq,
          time: message.time,
          ...position,
          // The trainer publishes the debiased EMA of its prequential loss only.
          loss: lossEma,
          lossEma,
          samplesPerSecond: Math.max(0, samplesPerSecond),
          truth: this.look.truth,
          recent: { x: [], y: [] },
        },
      };
    }
    if (body['format'] === 'adamflow.trainer-state' && body['version'] === 1) {
      const config = readConfig(body, this.look.config);
      const reason = body['reason'];
      if (config === undefined || !TRAINER_REASONS.has(reason as StateChanged['reason'])) {
        return { ok: false, reason: 'reason or configuration invalid' };
      }
      return {
        ok: true,
        frame: {
          type: 'state-changed',
          seq: message.seq,
          time: message.time,
          reason: reason as StateChanged['reason'],
          config,
          truth: this.look.truth,
          ...position,
          diverged: null,
        },
      };
    }
    return { ok: false, reason: 'neither an adamflow.params-update nor an adamflow.trainer-state' };
  }
}

/**
 * Samples, step and params of a message, and its `paramCount` when it sent a big
 * model's first parameters only (then at least their number, at most the protocol's
 * bound; a small model's message has none, and neither has its frame).
 */
function readPosition(
  body: Record<string, unknown>,
): { samples: number; step: number; params: number[]; paramCount?: number } | undefined {
  const { samples, step, params, paramCount } = body;
  if (!(Number.isSafeInteger(samples) && (samples as number) >= 0)) return undefined;
  if (!(Number.isSafeInteger(step) && (step as number) >= 0)) return undefined;
  if (!Array.isArray(params) || params.length === 0) return undefined;
  for (const value of params)
    if (!(typeof value === 'number' && Number.isFinite(value))) return undefined;
  const position = { samples: samples as number, step: step as number, params: params as number[] };
  if (paramCount === undefined) return position;
  const count = paramCount as number;
  if (!(Number.isSafeInteger(count) && count >= params.length && count <= MAX_PARAM_COUNT)) {
    return undefined;
  }
  return { ...position, paramCount: count };
}

function readConfig(body: Record<string, unknown>, base: Config): Config | undefined {
  const { optimizer, lr, batchSize, paused } = body;
  if (typeof optimizer !== 'string' || typeof paused !== 'boolean') return undefined;
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0)) return undefined;
  if (!(Number.isSafeInteger(batchSize) && (batchSize as number) > 0)) return undefined;
  if (!(OPTIMIZERS as readonly string[]).includes(optimizer)) return undefined;
  return {
    ...base,
    optimizer: optimizer as Config['optimizer'],
    lr,
    batchSize: batchSize as number,
    paused,
  };
}
