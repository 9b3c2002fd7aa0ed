import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  createOptimizer,
  type OptimizerName,
  type OptimizerState,
  optimizers,
} from '@adamflow/core';
import { applyGradients, type GradientUpdate, type Model } from '@adamflow/stream';
import { type ConsumerMessages, DeliverPolicy } from '@nats-io/jetstream';
import { Subject } from 'rxjs';
import { configHash } from './checkpoint.js';
import { asDisconnect, watchDisconnect } from './disconnect.js';
import { DistributedError } from './errors.js';
import {
  type GradientCheckpoint,
  type GradientCounts,
  type GradientTrainerConfig,
  readGradientCheckpoint,
  writeGradientCheckpoint,
} from './gradient-checkpoint.js';
import { decodeGradient, type GradientMessage } from './gradient-codec.js';
import {
  buildGradientModel,
  checkMessageFits,
  claimGradientModel,
  type GradientModelChoice,
  SOURCE_MODEL,
} from './gradient-model.js';
import { ensureGradientStream } from './gradient-stream.js';
import { Lease } from './lease.js';
import type { NatsContext } from './nats-context.js';
import { ParamsUpdates } from './params-updates.js';
import { encodeParamsVersion, openParamsVersions, paramsVersionNames } from './params-versions.js';
import { type SessionNames, sessionNames } from './session-names.js';
import { readSource } from './session-source.js';
import type { TrainerEvent } from './trainer.js';

/** Options of {@link runGradientTrainer}. */
export interface GradientTrainerOptions {
  session: string;
  optimizer: OptimizerName;
  lr: number;
  /** Reject gradients computed more than this many optimizer steps ago. */
  maxStaleness: number;
  /** The model (every trainer and worker of the session must agree); default the source's own. */
  model?: GradientModelChoice;
  /** Stop once the gradients consumed cover this many samples (and are checkpointed). */
  until?: number;
  /** Checkpoint after gradients covering this many samples; default 65536. */
  checkpointSamples?: number;
  /** ...or after this many ms with unsaved progress; default 1000. */
  checkpointMs?: number;
  /** Lease TTL in ms; default 5000. */
  leaseMs?: number;
  /** When another trainer holds the session: wait for it (default) or exit. */
  onHeld?: 'wait' | 'exit';
  /** Told what happens. */
  onEvent?: (event: GradientTrainerEvent) => void;
  /** Stops the trainer gracefully (final checkpoint, lease released). */
  signal?: AbortSignal;
}

/** What a gradient trainer reports: the sample trainer's events, with the gradient counts. */
export type GradientTrainerEvent =
  | Extract<TrainerEvent, { event: 'lease-waiting' | 'lease-acquired' }>
  | ({ event: 'resumed'; samples: number; sequence: number; offset: 0 } & GradientCounts)
  | ({
      event: 'checkpoint';
      samples: number;
      step: number;
      sequence: number;
      offset: 0;
    } & GradientCounts)
  | ({ event: 'done'; samples: number; step: number } & GradientCounts);

/** How a gradient trainer run ended. */
export interface GradientTrainerResult extends GradientCounts {
  samples: number;
  step: number;
  params: number[];
}

/** Parameter updates published and not yet acknowledged, at most. */
const MAX_OWED = 64;
/** β of the loss EMA (as the learner's metrics). */
const LOSS_BETA = 0.99;

/**
 * Trains a session from its gradient stream (data parallel: `adamflow worker`s compute
 * the gradients). It takes the session's lease, resumes from the checkpoint, and
 * reads the gradient stream in order: a gradient is applied with `applyGradients`
 * when it was computed at most `maxStaleness` steps ago, otherwise rejected and
 * counted. Every decision depends only on the stream, so the run replays bitwise from
 * it, and a trainer killed at any moment ends where an uninterrupted one ends. After
 * every gradient it publishes the parameters: in binary on the session's versions
 * stream (what workers compute at; 8 bytes per parameter), and as the viewers' JSON
 * update on the updates stream: the whole model, or a model bigger than
 * `MAX_VIEWER_PARAMS`'s first ones and its parameter count (a JSON update of 1e5
 * parameters would not fit a NATS message).
 *
 * @param nats - an open context.
 * @param options - {@link GradientTrainerOptions}.
 * @returns the final position, counts and params.
 * @throws DistributedError with one of the codes in `errors.ts`.
 * @example
 * ```ts
 * import { runGradientTrainer } from './gradient-trainer.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'adamflow-trainer' });
 * const end = await runGradientTrainer(nats, { session: 'demo', optimizer: 'adam', lr: 0.01, maxStaleness: 8, until: 10_240 });
 * console.log(end.applied, end.stale, end.params);
 * ```
 */
export async function runGradientTrainer(
  nats: NatsContext,
  options: GradientTrainerOptions,
): Promise<GradientTrainerResult> {
  const names = sessionNames(options.session);
  if (!Number.isSafeInteger(options.maxStaleness) || options.maxStaleness < 0) {
    throw new RangeError(`maxStaleness must be an integer >= 0, got ${options.maxStaleness}`);
  }
  const emit = options.onEvent ?? (() => {});
  const source = await readSource(nats.kv, names);
  if (source === undefined) {
    throw new DistributedError(
      'ADAMFLOW_ERR_SESSION_UNKNOWN',
      `session ${names.session} has no samples; run \`adamflow produce --session ${names.session} ...\` first`,
    );
  }
  const model = buildGradientModel(options.model ?? SOURCE_MODEL, source);
  // Checked before the claim: a model that cannot run is not recorded for the session.
  checkMessageFits(nats, model.size);
  await claimGradientModel(nats.kv, names, model);
  const config: GradientTrainerConfig = {
    mode: 'gradients',
    source: source.spec,
    model: model.spec!,
    optimizer: options.optimizer,
    lr: options.lr,
    maxStaleness: options.maxStaleness,
  };
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const lease = await Lease.acquire({
    kv: nats.kv,
    key: names.leaseKey,
    owner,
    ttlMs: options.leaseMs ?? 5000,
    onHeld: options.onHeld ?? 'wait',
    onWait: (holder) => emit({ event: 'lease-waiting', holder }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    const result = await trainHeld(nats, names, options, config, model, owner, lease);
    await lease.release();
    return result;
  } catch (thrown) {
    const error = asDisconnect(thrown);
    if (error.code === 'ADAMFLOW_ERR_NATS_DISCONNECTED') lease.abandon();
    else await lease.release();
    throw error;
  }
}

/** The trainer's state between two gradients: all a checkpoint holds besides the optimizer. */
interface Position extends GradientCounts {
  sequence: number;
  samples: number;
  step: number;
  loss: { ema: number; weight: number };
}

async function trainHeld(
  nats: NatsContext,
  names: SessionNames,
  options: GradientTrainerOptions,
  config: GradientTrainerConfig,
  model: Model,
  owner: string,
  lease: Lease,
): Promise<GradientTrainerResult> {
  const emit = options.onEvent ?? (() => {});
  const hash = configHash(config);
  const streamCreated = await ensureGradientStream(nats, names);
  const stored = await readGradientCheckpoint(nats, names);
  if (stored) checkResumable(names, stored.checkpoint, hash, streamCreated);
  const at: Position = stored
    ? {
        sequence: stored.checkpoint.sequence,
        samples: stored.checkpoint.samples,
        step: stored.checkpoint.step,
        loss: { ...stored.checkpoint.loss },
        applied: stored.checkpoint.applied,
        stale: stored.checkpoint.stale,
        invalid: stored.checkpoint.invalid,
        consumedSamples: stored.checkpoint.consumedSamples,
      }
    : {
        sequence: 0,
        samples: 0,
        step: 0,
        loss: { ema: 0, weight: 0 },
        applied: 0,
        stale: 0,
        invalid: 0,
        consumedSamples: 0,
      };
  const epoch = (stored?.checkpoint.epoch ?? 0) + 1;
  emit({ event: 'lease-acquired', epoch });
  emit({ event: 'resumed', ...counts(at), samples: at.samples, sequence: at.sequence, offset: 0 });

  // The optimizer runs inside applyGradients: gradients go in through a subject, the
  // parameters come out synchronously, and `take` reads the state for checkpoints.
  const initial = new Float64Array(model.size);
  model.initialize?.(initial);
  let take: (() => OptimizerState) | undefined;
  let params: Float64Array = initial;
  let failure: Error | undefined;
  const gradients = new Subject<Float64Array>();
  const applied = gradients
    .pipe(
      applyGradients({
        params: initial,
        optimizer: (p) =>
          createOptimizer(config.optimizer, p, {
            ...optimizers[config.optimizer].demoOptions,
            lr: config.lr,
          }),
        output: 'view',
        ...(stored ? { from: stored.checkpoint.optimizer } : {}),
        checkpointer: (state) => {
          take = state as () => OptimizerState;
        },
      }),
    )
    .subscribe({
      next: (update: GradientUpdate) => {
        params = update.params;
        at.step = update.step;
      },
      error: (error: Error) => {
        failure = error;
      },
    });
  if (stored) params = Float64Array.from(stored.checkpoint.params);

  // A version after every gradient: the workers pace themselves on them. Viewers get
  // the same as a JSON update, cut to its first parameters for a big model (a function
  // of the parameters alone, so a resumed trainer's re-sends are still identical).
  const updates = new ParamsUpdates(nats, names, streamCreated, 1);
  await updates.open();
  await openParamsVersions(nats, names);
  const versionsSubject = paramsVersionNames(names).subject;
  const publishVersion = () =>
    nats.js
      .publish(
        versionsSubject,
        encodeParamsVersion({
          epoch: streamCreated,
          step: at.step,
          sequence: at.sequence,
          params,
        }),
      )
      .then(() => {});
  const snapshot = (): GradientCheckpoint => ({
    format: 'adamflow.gradient-checkpoint',
    version: 1,
    session: names.session,
    configHash: hash,
    config,
    streamCreated,
    epoch,
    ...counts(at),
    sequence: at.sequence,
    samples: at.samples,
    step: at.step,
    loss: { ...at.loss },
    params: Array.from(params),
    optimizer: take!(),
    owner,
    writtenAt: new Date().toISOString(),
  });
  let fatal: Error | undefined;
  let messages: ConsumerMessages | undefined;
  const fail = (error: Error) => {
    fatal ??= error;
    messages?.stop();
  };
  // Updates are published without waiting for each acknowledgement (at most
  // `MAX_OWED` outstanding); a checkpoint waits for all of them.
  const owed: Promise<void>[] = [];
  let revision = stored?.revision ?? 0;
  let savedSequence = stored ? at.sequence : -1;
  let savedSamples = at.consumedSamples;
  let savedAt = Date.now();
  // A big model's checkpoint (several MB of exact JSON into the object store) takes
  // long: time-based checkpoints wait ten times the last one's duration, so they cost
  // at most about a tenth of the run (samples-based ones and the last are kept).
  let saveMs = 0;
  const due = () => Date.now() - savedAt >= Math.max(everyMs, 10 * saveMs);
  let chain: Promise<void> = Promise.resolve();
  const save = (force: boolean): Promise<void> => {
    chain = chain.then(async () => {
      if (!force && at.sequence === savedSequence) return;
      const started = Date.now();
      const checkpoint = snapshot();
      // Every update up to the checkpoint must be stored before it: a resumed trainer
      // re-sends only those after it.
      await Promise.all(owed.splice(0));
      if (fatal) throw fatal;
      revision = await writeGradientCheckpoint(nats, names, checkpoint, revision);
      savedSequence = checkpoint.sequence;
      savedSamples = checkpoint.consumedSamples;
      savedAt = Date.now();
      saveMs = savedAt - started;
      emit({
        event: 'checkpoint',
        ...counts(checkpoint),
        samples: checkpoint.samples,
        step: checkpoint.step,
        sequence: checkpoint.sequence,
        offset: 0,
      });
    });
    return chain;
  };
  // Claim: bump the entry's revision at once, fencing off a predecessor's next write.
  await save(true);
  // Workers waiting for a version (their predecessor's last one lost with it) start again.
  await publishVersion();

  const until = options.until ?? Number.POSITIVE_INFINITY;
  const everySamples = options.checkpointSamples ?? 65_536;
  const everyMs = options.checkpointMs ?? 1000;
  void lease.lost.then(fail);
  const onAbort = () => messages?.stop();
  options.signal?.addEventListener('abort', onAbort);
  const status = watchDisconnect(nats, fail);
  const timer = setInterval(
    () => {
      if (at.sequence !== savedSequence && due()) save(false).catch(fail);
    },
    Math.max(10, Math.min(everyMs, 1000)),
  );
  try {
    if (at.consumedSamples < until && !options.signal?.aborted) {
      const consumer = await nats.js.consumers.get(names.gradientsStream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: at.sequence + 1,
      });
      messages = await consumer.consume({ max_messages: 256 });
      if (options.signal?.aborted || fatal) messages.stop();
      for await (const message of messages) {
        if (fatal) break;
        if (message.seq !== at.sequence + 1) {
          throw new DistributedError(
            'ADAMFLOW_ERR_STREAM_CORRUPT',
            `stream ${names.gradientsStream}: expected sequence ${at.sequence + 1}, got ${message.seq}`,
          );
        }
        consume(at, message.data, config.maxStaleness, model.size, (gradient) =>
          gradients.next(gradient),
        );
        if (failure) throw failure;
        at.sequence = message.seq;
        owed.push(publishVersion().catch(fail));
        owed.push(
          updates
            .publish(at.sequence, {
              samples: at.samples,
              step: at.step,
              lossEma: at.loss.weight === 0 ? Number.NaN : at.loss.ema / at.loss.weight,
              params,
            })
            .catch(fail),
        );
        while (owed.length > MAX_OWED) await owed.shift();
        if (at.consumedSamples >= until) break;
        if (at.consumedSamples - savedSamples >= everySamples || due()) {
          await save(false);
        }
      }
    }
    if (fatal) throw fatal;
    await save(false);
    emit({ event: 'done', ...counts(at), samples: at.samples, step: at.step });
    return { ...counts(at), samples: at.samples, step: at.step, params: Array.from(params) };
  } finally {
    clearInterval(timer);
    status.stop();
    options.signal?.removeEventListener('abort', onAbort);
    messages?.stop();
    applied.unsubscribe();
    await chain.catch(() => {});
    await Promise.all(owed);
  }
}

/**
 * Decides one gradient message: applied (through `apply`) when usable and at most
 * `maxStaleness` steps old, otherwise counted as stale or invalid. A rejected gradient
 * changes nothing but its count.
 */
function consume(
  at: Position,
  bytes: Uint8Array,
  maxStaleness: number,
  size: number,
  apply: (gradient: Float64Array) => void,
): void {
  let message: GradientMessage;
  try {
    message = decodeGradient(bytes);
  } catch {
    at.invalid++;
    return;
  }
  at.consumedSamples += message.samples;
  if (!usable(message, size, at.step)) {
    at.invalid++;
  } else if (at.step - message.step > maxStaleness) {
    at.stale++;
  } else {
    apply(message.gradient);
    at.applied++;
    at.samples += message.samples;
    at.loss.ema = LOSS_BETA * at.loss.ema + (1 - LOSS_BETA) * message.loss;
    at.loss.weight = LOSS_BETA * at.loss.weight + (1 - LOSS_BETA);
  }
}

/** Right length, finite, and computed at a version this trainer has reached. */
function usable(message: GradientMessage, size: number, step: number): boolean {
  if (message.gradient.length !== size || message.step > step) return false;
  let poison = 0;
  for (const value of message.gradient) poison += value - value;
  return poison === 0;
}

function counts(from: GradientCounts): GradientCounts {
  return {
    applied: from.applied,
    stale: from.stale,
    invalid: from.invalid,
    consumedSamples: from.consumedSamples,
  };
}

function checkResumable(
  names: SessionNames,
  checkpoint: GradientCheckpoint,
  hash: string,
  streamCreated: string,
): void {
  if (checkpoint.configHash !== hash) {
    const was = checkpoint.config;
    throw new DistributedError(
      'ADAMFLOW_ERR_CONFIG_MISMATCH',
      `session ${names.session} was trained from gradients with optimizer ${was.optimizer}, lr ${was.lr}, max staleness ${was.maxStaleness}, model ${JSON.stringify(was.model)}; pass the same options, or train another session`,
    );
  }
  if (checkpoint.streamCreated !== streamCreated) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `the gradient stream of session ${names.session} was recreated (${streamCreated}) after its checkpoint (stream of ${checkpoint.streamCreated}); train another session`,
    );
  }
}
