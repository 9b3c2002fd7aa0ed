import type { Learner } from '@adamflow/stream';
import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { DistributedError } from './errors.js';
import { parseExact, stringifyExact } from './exact-json.js';
import type { NatsContext } from './nats-context.js';
import type { SessionNames } from './session-names.js';

/** One published parameter update of a session. */
export interface ParamsUpdateMessage {
  format: 'adamflow.params-update';
  version: 1;
  session: string;
  /** Which history `seq` counts in: changes only when the input stream is recreated. */
  epoch: string;
  /** The input stream sequence the update follows (monotonic within an epoch). */
  seq: number;
  samples: number;
  step: number;
  /** The debiased EMA of the prequential loss (restored with the checkpoint, so re-sends match). */
  lossEma: number;
  /** The parameters: all of them, or the first {@link MAX_VIEWER_PARAMS} of a bigger model. */
  params: number[];
  /** The model's parameter count, present only when `params` holds the first ones of more. */
  paramCount?: number;
}

/**
 * Parameters a viewers' update or trainer state carries at most: a bigger model's
 * first this many, with its count (`paramCount`). A page draws a few trajectories, and
 * a model of 1e5 parameters would not fit one NATS message as JSON; a model this size
 * or smaller is sent whole, exactly as before there was a bound.
 */
export const MAX_VIEWER_PARAMS = 1024;

/** Why a trainer's state changed: a viewer's command. */
export type TrainerStateReason = 'pause' | 'resume' | 'reset' | 'set-lr' | 'set-optimizer';

/**
 * A change of the trainer's state, published on the updates subject between two
 * updates (after a viewer's command). Not part of the replayed history: what a
 * command changes is in the command log, and the parameters are a function of the
 * input and the log, whatever was paused when.
 */
export interface TrainerStateMessage {
  format: 'adamflow.trainer-state';
  version: 1;
  session: string;
  epoch: string;
  reason: TrainerStateReason;
  paused: boolean;
  samples: number;
  step: number;
  /** As in {@link ParamsUpdateMessage}: all, or the first {@link MAX_VIEWER_PARAMS}. */
  params: number[];
  paramCount?: number;
  optimizer: string;
  lr: number;
  batchSize: number;
}

/** Updates the updates stream keeps (older ones are dropped). */
const KEEP = 100_000;
/** Queued updates that may await JetStream's acknowledgement at once. */
const MAX_IN_FLIGHT = 256;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Publishes a session's parameter updates at input-sequence boundaries (every
 * `every`-th input message). An update is a pure function of the input up to its
 * `seq`, so one re-sent by a trainer that resumed after a crash is byte-identical,
 * and its `Nats-Msg-Id` (session and seq) lets JetStream drop it as a duplicate.
 *
 * @example
 * ```ts
 * import { ParamsUpdates } from './params-updates.js';
 * declare const updates: ParamsUpdates;
 * declare const learner: import('@adamflow/stream').Learner;
 * updates.queue(4, learner); // publishes when 4 is a multiple of `every`
 * await updates.drain(); // stored
 * ```
 */
export class ParamsUpdates {
  /** Re-sends JetStream dropped as duplicates (after a resume). */
  duplicates = 0;
  /** Queued updates not yet acknowledged. */
  private outstanding = 0;
  /** Settles once every update queued so far has been acknowledged or has failed. */
  private stored: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  /**
   * @param nats - an open context.
   * @param names - the session's names.
   * @param epoch - the input history's identity (its stream's creation time).
   * @param every - publish after every `every`-th input message; 0 publishes nothing.
   */
  constructor(
    private readonly nats: NatsContext,
    private readonly names: SessionNames,
    private readonly epoch: string,
    private readonly every: number,
  ) {
    if (!Number.isInteger(every) || every < 0) {
      throw new RangeError(`every must be an integer >= 0, got ${every}`);
    }
  }

  /** Creates the session's updates stream unless it exists. */
  async open(): Promise<void> {
    if (this.every !== 0) await openUpdatesStream(this.nats, this.names);
  }

  /**
   * Publishes a change of the trainer's state (a viewer's command) between two updates.
   *
   * @param reason - the command that changed it.
   * @param learner - the learner, between two input messages.
   * @param config - the run's optimizer, lr, batch size and whether it is paused now.
   */
  async state(
    reason: TrainerStateReason,
    learner: Learner,
    config: { optimizer: string; lr: number; batchSize: number; paused: boolean },
  ): Promise<void> {
    if (this.every === 0) return;
    const state: TrainerStateMessage = {
      format: 'adamflow.trainer-state',
      version: 1,
      session: this.names.session,
      epoch: this.epoch,
      reason,
      paused: config.paused,
      samples: learner.samples,
      step: learner.steps,
      ...viewerParams(learner.params),
      optimizer: config.optimizer,
      lr: config.lr,
      batchSize: config.batchSize,
    };
    await this.nats.js.publish(this.names.updatesSubject, encoder.encode(stringifyExact(state)));
  }

  /**
   * Publishes the learner's state if input message `sequence` is an update boundary,
   * without waiting for JetStream's acknowledgement: the update is built now (so it holds the learner as of `sequence`) and published
   * in order behind the ones before it. {@link ParamsUpdates.drain} waits for all of
   * them; a trainer drains before it commits a checkpoint, so every update up to the
   * checkpoint's sequence is stored before the checkpoint says it was passed. Waits
   * for them all when `MAX_IN_FLIGHT` are unacknowledged (backpressure).
   *
   * @param sequence - the input sequence just learned completely.
   * @param learner - the learner.
   * @returns a promise when the caller must wait for room, else undefined.
   */
  queue(sequence: number, learner: Learner): Promise<void> | undefined {
    if (this.every === 0 || sequence % this.every !== 0) return undefined;
    const ack = this.send(sequence, {
      samples: learner.samples,
      step: learner.steps,
      lossEma: learner.metrics.snapshot().lossEma,
      params: learner.params,
    });
    // Handled here so no rejection goes unhandled; drain() reports the first one.
    this.outstanding++;
    const settled = ack.then(
      () => {
        this.outstanding--;
      },
      (error: unknown) => {
        this.outstanding--;
        this.failure ??= error as Error;
      },
    );
    this.stored = Promise.all([this.stored, settled]).then(() => {});
    return this.outstanding >= MAX_IN_FLIGHT ? this.drain() : undefined;
  }

  /**
   * Waits until every update queued so far is stored (not those queued meanwhile).
   *
   * @throws the first publish error of a queued update.
   */
  async drain(): Promise<void> {
    await this.stored;
    if (this.failure) throw this.failure;
  }

  /**
   * Publishes the learner's state at the end of a run that stopped on a message
   * boundary between two update boundaries, so a viewer sees the parameters the run
   * ended with. It stays a pure function of the input up to `sequence`: a trainer
   * that later goes on past it publishes the same bytes there or nothing.
   *
   * @param sequence - the input sequence just learned completely.
   * @param learner - the learner.
   */
  async last(sequence: number, learner: Learner): Promise<void> {
    if (this.every === 0 || sequence === 0 || sequence % this.every === 0) return;
    await this.publish(sequence, {
      samples: learner.samples,
      step: learner.steps,
      lossEma: learner.metrics.snapshot().lossEma,
      params: learner.params,
    });
  }

  /**
   * Publishes an update at input sequence `sequence` whatever `every` says (0 still
   * publishes nothing); the gradient trainer's workers pace themselves on every one.
   *
   * @param sequence - the input sequence just consumed completely.
   * @param state - what the update carries.
   */
  async publish(
    sequence: number,
    state: { samples: number; step: number; lossEma: number; params: ArrayLike<number> },
  ): Promise<void> {
    if (this.every === 0) return;
    await this.send(sequence, state);
  }

  /** Starts publishing an update (built at once from `state`); resolves on the acknowledgement. */
  private async send(
    sequence: number,
    state: { samples: number; step: number; lossEma: number; params: ArrayLike<number> },
  ): Promise<void> {
    const update: ParamsUpdateMessage = {
      format: 'adamflow.params-update',
      version: 1,
      session: this.names.session,
      epoch: this.epoch,
      seq: sequence,
      samples: state.samples,
      step: state.step,
      lossEma: state.lossEma,
      ...viewerParams(state.params),
    };
    const ack = await this.nats.js.publish(this.names.updatesSubject, encodeUpdate(update), {
      msgID: `${this.names.session}:${this.epoch}:${sequence}`,
    });
    if (ack.duplicate) this.duplicates++;
  }
}

/**
 * The parameters viewers are sent: all of them (no `paramCount`, so a small model's
 * update is what it always was), or a bigger model's first {@link MAX_VIEWER_PARAMS}
 * and its count.
 *
 * @param params - the model's parameters.
 * @returns `params` (a copy) and, when cut, `paramCount`.
 * @example
 * ```ts
 * import { viewerParams } from './params-updates.js';
 * viewerParams(new Float64Array(91_201)).paramCount; // 91201, with 1024 params
 * viewerParams([1, 2]); // { params: [1, 2] }
 * ```
 */
export function viewerParams(params: ArrayLike<number>): { params: number[]; paramCount?: number } {
  if (params.length <= MAX_VIEWER_PARAMS) return { params: Array.from(params) };
  return {
    params: Array.from({ length: MAX_VIEWER_PARAMS }, (_, i) => params[i]!),
    paramCount: params.length,
  };
}

/**
 * Creates a session's updates stream unless it exists (the trainer and the gateways
 * both may come first).
 *
 * @param nats - an open context.
 * @param names - the session's names.
 * @example
 * ```ts
 * import { openUpdatesStream } from './params-updates.js';
 * import { sessionNames } from './session-names.js';
 * declare const nats: import('./nats-context.js').NatsContext;
 * await openUpdatesStream(nats, sessionNames('demo'));
 * ```
 */
export async function openUpdatesStream(nats: NatsContext, names: SessionNames): Promise<void> {
  try {
    await nats.jsm.streams.info(names.updatesStream);
  } catch {
    await nats.jsm.streams
      .add({
        name: names.updatesStream,
        subjects: [names.updatesSubject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_msgs: KEEP,
        duplicate_window: nanos(10 * 60_000),
      })
      .catch(async (error: unknown) => {
        // A concurrent creator won; anything else is real.
        await nats.jsm.streams.info(names.updatesStream).catch(() => {
          throw error;
        });
      });
  }
}

/**
 * The bytes of an update: exact JSON (every float64 kept bit for bit).
 *
 * @param update - the update.
 * @returns UTF-8 JSON.
 * @example
 * ```ts
 * import { decodeUpdate, encodeUpdate } from './params-updates.js';
 * declare const update: import('./params-updates.js').ParamsUpdateMessage;
 * decodeUpdate(encodeUpdate(update)).seq === update.seq; // true
 * ```
 */
export function encodeUpdate(update: ParamsUpdateMessage): Uint8Array {
  return encoder.encode(stringifyExact(update));
}

/**
 * Reads an update.
 *
 * @param bytes - what {@link encodeUpdate} wrote.
 * @returns the update.
 * @throws DistributedError `ADAMFLOW_ERR_UPDATE_MESSAGE_INVALID` when it is not one.
 * @example
 * ```ts
 * import { decodeUpdate } from './params-updates.js';
 * declare const bytes: Uint8Array;
 * decodeUpdate(bytes).params;
 * ```
 */
export function decodeUpdate(bytes: Uint8Array): ParamsUpdateMessage {
  const update = parseExact(decoder.decode(bytes)) as ParamsUpdateMessage;
  if (update?.format !== 'adamflow.params-update' || update.version !== 1) {
    throw new DistributedError(
      'ADAMFLOW_ERR_UPDATE_MESSAGE_INVALID',
      'not an adamflow.params-update of version 1',
    );
  }
  return update;
}
