import { type OptimizerName, optimizerNames } from '@adamflow/core';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { Row, StreamPosition } from './data/row.js';
import { StreamError } from './errors.js';
import {
  createGenerator,
  type GeneratorState,
  linearSpec,
  resolveSpec,
  restoreGenerator,
  type Sample,
  type SampleGenerator,
  type SourceSpec,
} from './generators.js';
import { Learner, type LearnerState } from './learner.js';
import { type Model, modelFor } from './model.js';
import { type Pump, startPump } from './pump.js';
import {
  generatorFeed,
  isSampleStream,
  positionOf,
  type SampleStream,
  type SessionFeed,
  streamFeed,
} from './session-feed.js';
import { checkOutputMode, type OutputMode, type ParamsUpdate, updateFactory } from './updates.js';

/** Commands a running session accepts. Each is applied between two samples. */
export type SessionCommand =
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'set-lr'; lr: number }
  | { type: 'set-optimizer'; optimizer: OptimizerName; lr?: number }
  | { type: 'set-source'; source: SourceSpec }
  | { type: 'set-rate'; rate: number | null }
  | { type: 'checkpoint' };

/** Where a session stands; carried by most events. */
export interface SessionPosition {
  /** Samples consumed since the start (or since the checkpoint's start). */
  samples: number;
  /** Optimizer steps since the last reset. */
  step: number;
}

/**
 * The session's configuration, as announced in `run-start` and after every change. On a
 * stream of your own (see {@link StreamSessionConfig}) `source` says only that it is
 * one, and `model` is your model's `kind`.
 */
export interface SessionConfig<
  Source = SourceSpec,
  ModelKind extends string = 'linear-regression' | 'logistic-regression',
> {
  source: Source;
  model: ModelKind;
  features: number;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  rate: number | null;
  paused: boolean;
}

/** What `config.source` holds in a session on a stream of your own. */
export interface StreamSourceInfo {
  kind: 'stream';
  /** Whether the stream says where it stands (`position()`), so checkpoints can resume it. */
  resumable: boolean;
}

/** The configuration of a session on a stream of your own. */
export type StreamSessionConfig = SessionConfig<StreamSourceInfo, string>;

/**
 * Everything a session emits, named noun-then-action. The type parameters are those of
 * a session on a stream of your own in {@link StreamSessionEvent}.
 */
export type SessionEvent<Config = SessionConfig, Checkpoint = SessionCheckpoint> =
  | ({ type: 'run-start'; config: Config; params: number[] } & SessionPosition)
  | ParamsUpdate
  | ({ type: 'run-paused' } & SessionPosition)
  | ({ type: 'run-resumed' } & SessionPosition)
  | ({ type: 'run-reset'; params: number[] } & SessionPosition)
  | ({ type: 'lr-changed'; lr: number } & SessionPosition)
  | ({ type: 'optimizer-changed'; optimizer: OptimizerName; lr: number } & SessionPosition)
  | ({ type: 'source-changed'; config: Config; params: number[] } & SessionPosition)
  | ({ type: 'rate-changed'; rate: number | null } & SessionPosition)
  | ({ type: 'checkpoint-created'; checkpoint: Checkpoint } & SessionPosition)
  | ({
      type: 'command-rejected';
      /** `ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE`: a checkpoint asked of a stream without `position()`. */
      code: 'ADAMFLOW_ERR_COMMAND_INVALID' | 'ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE';
      message: string;
    } & SessionPosition)
  | ({ type: 'run-end'; params: number[] } & SessionPosition);

/** A JSON-safe snapshot of a session: source position, learner, counters. */
export interface SessionCheckpoint {
  format: 'adamflow.session';
  version: 1;
  samples: number;
  generator: GeneratorState;
  learner: LearnerState;
  batchSize: number;
}

/**
 * A JSON-safe snapshot of a session on a resumable stream of your own: where the stream
 * stands, the learner, the counters. To resume, open the stream again at `position`
 * (e.g. `fromCsv(path, { ..., from: checkpoint.position })`) and pass both.
 */
export interface StreamSessionCheckpoint {
  format: 'adamflow.session';
  version: 1;
  samples: number;
  /** The stream's `position()` after the last sample learned: the adapter's `from`. */
  position: StreamPosition;
  learner: LearnerState;
  batchSize: number;
}

/** Everything a session on a stream of your own emits. */
export type StreamSessionEvent = SessionEvent<StreamSessionConfig, StreamSessionCheckpoint>;

/** Options of {@link trainSession} on a seeded synthetic source. */
export interface TrainSessionOptions {
  /** What to train on; default the seed's stream, `linearSpec()`. */
  source?: SourceSpec;
  /** Optimizer by registry name; default `'adam'`. */
  optimizer?: OptimizerName;
  /** Learning rate; default the registry's demo rate for the optimizer. */
  lr?: number;
  /** Initial parameters (bias first); default zeros. */
  params?: number[];
  /** Samples per optimizer step; default 1. */
  batchSize?: number;
  /** Metrics window in samples; default 100. */
  window?: number;
  /** Samples per second; omit for flat out. */
  rate?: number;
  /** Scheduler for batches and the clock (virtual time in tests). */
  scheduler?: SchedulerLike;
  /** Stop (emit `run-end`, complete) once this many samples have been consumed in all. */
  samples?: number;
  /** Start paused. */
  paused?: boolean;
  /** Commands, applied between samples. */
  control?: Observable<SessionCommand>;
  /** Continue from a checkpoint (bitwise the same trajectory as never stopping). */
  from?: SessionCheckpoint;
  /** See {@link OutputMode}; default `'copy'`. */
  output?: OutputMode;
  /**
   * Called with every sample before the model learns from it (e.g. to draw a
   * scatter). The sample is the generator's own object; keep it if you like.
   */
  onSample?: (sample: Sample) => void;
}

/** Options of {@link trainSession} on a stream of your own. */
export interface StreamSessionOptions
  extends Omit<TrainSessionOptions, 'source' | 'from' | 'onSample'> {
  /** Your samples: an iterable, an async iterable (e.g. `fromCsv(...)`) or an Observable. */
  source: SampleStream;
  /** The model to train, e.g. `linearRegression({ features: 3 })`. */
  model: Model;
  /** Continue from a checkpoint of a resumable stream; `source` must start at its `position`. */
  from?: StreamSessionCheckpoint;
  /** Called with every sample before the model learns from it. */
  onSample?: (sample: Row) => void;
  /**
   * Observables only (they cannot be asked to wait): most samples held ahead of the
   * session, while it is paused or slower than the stream; default 65536. One more
   * ends the run with `ADAMFLOW_ERR_BUFFER_OVERFLOW`.
   */
  maxBuffered?: number;
}

/**
 * A live training run with controls: a source, a model and an optimizer, driven by a
 * pump (batches per macrotask, or paced), steered by a stream of commands. Every change
 * shows up as an event; commands are applied between two samples, so none is lost or
 * duplicated. Invalid commands produce `command-rejected` and the run goes on; a
 * malformed sample or non-finite gradient under the `'throw'` policy ends the run with
 * an RxJS error carrying its `code`.
 *
 * The source is a seeded synthetic `SourceSpec` (default the seed's stream), or a
 * stream of your own with your `model`: any iterable, async iterable (`fromCsv`,
 * `fromNdjson`, `fromIterable`, an object-mode Node `Readable`) or Observable of
 * `{ x, y }` rows. On your stream every command works as on a synthetic one (`pause`,
 * `resume`, `reset`, `set-lr`, `set-optimizer`, `set-rate`) except `set-source`
 * (rejected: start another session), and the run ends (`run-end`, then complete) when
 * the stream does. An iterable or async iterable is read only as fast as the session
 * learns and waits while it is paused; an Observable cannot wait, so what it pushes
 * ahead is held, up to `maxBuffered`. Checkpoints need a stream that says where it
 * stands: one with `position()`, as this package's adapters have (wrap any iterable in
 * `fromIterable` to count its rows). On a stream without one, a `checkpoint` command is
 * rejected with `ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE`, and `from` throws that code.
 *
 * `reset` restores the initial parameters and a fresh optimizer and metrics; the
 * source continues with new samples (it does not replay old ones).
 *
 * @param options - {@link TrainSessionOptions}, or {@link StreamSessionOptions} for a stream of your own.
 * @returns a cold Observable: each subscription is its own run (and reads the stream anew).
 * @throws StreamError `ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE` when `from` is given with a stream that has no `position()`.
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { fromCsv, linearRegression, trainSession, type SessionCommand } from '@adamflow/stream';
 * const control = new Subject<SessionCommand>();
 * // A synthetic source (the seed's line), paced:
 * trainSession({ rate: 1000, control }).subscribe((event) => console.log(event.type));
 * // Your own data, with a checkpoint you can resume from:
 * trainSession({
 *   source: fromCsv('houses.csv', { target: 'price' }),
 *   model: linearRegression({ features: 3 }),
 *   control,
 * }).subscribe((event) => {
 *   if (event.type === 'checkpoint-created') console.log(JSON.stringify(event.checkpoint));
 * });
 * control.next({ type: 'set-lr', lr: 0.01 });
 * control.next({ type: 'checkpoint' });
 * ```
 */
export function trainSession(options?: TrainSessionOptions): Observable<SessionEvent>;
export function trainSession(options: StreamSessionOptions): Observable<StreamSessionEvent>;
export function trainSession(
  options: TrainSessionOptions | StreamSessionOptions = {},
): Observable<SessionEvent | StreamSessionEvent> {
  const output = checkOutputMode(options.output);
  const onSample = options.onSample as ((sample: Row) => void) | undefined;
  const limit = options.samples ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new RangeError(`samples must be a number >= 0, got ${options.samples}`);
  // Validate the configuration eagerly, so mistakes throw at the call (a stream is not
  // read until a subscription takes its first sample).
  open(options).feed.close();
  return new Observable<SessionEvent | StreamSessionEvent>((subscriber) => {
    let { feed, learner } = open(options);
    let samples = options.from?.samples ?? 0;
    let rate: number | null = options.rate ?? null;
    let paused = options.paused ?? false;
    let pump: Pump | undefined;
    let ended = false;
    // Set when the stream had no sample ready: the pump stops until the feed wakes it.
    let starved = false;
    const makeUpdate = updateFactory(output);
    const position = (): SessionPosition => ({ samples, step: learner.steps });
    const config = (): SessionConfig | StreamSessionConfig => {
      const common = {
        features: learner.model.features,
        optimizer: learner.optimizerName ?? 'adam',
        lr: learner.optimizer.lr,
        batchSize: learner.batchSize,
        rate,
        paused,
      };
      return feed.generator
        ? {
            source: feed.generator.spec,
            // Sessions on a synthetic source build their models with modelFor(): one of two kinds.
            model: learner.model.kind as SessionConfig['model'],
            ...common,
          }
        : {
            source: { kind: 'stream', resumable: feed.resumable },
            model: learner.model.kind,
            ...common,
          };
    };
    const end = () => {
      ended = true;
      pump?.stop();
      feed.close();
      subscriber.next({ type: 'run-end', params: Array.from(learner.params), ...position() });
      subscriber.complete();
    };
    const emitOne = () => {
      if (samples >= limit) return end();
      const sample = feed.take();
      if (sample === undefined) {
        starved = true;
        return;
      }
      if (sample === null) return end();
      samples++;
      onSample?.(sample);
      if (learner.learn(sample as Sample)) {
        subscriber.next(makeUpdate(learner, samples));
      }
      if (samples >= limit) end();
    };
    const start = () => {
      pump?.stop();
      if (paused || ended || subscriber.closed) return;
      starved = false;
      pump = startPump(
        () => subscriber.closed || ended || starved,
        () => {
          try {
            emitOne();
          } catch (error) {
            fail(error);
          }
        },
        {
          ...(rate === null ? {} : { rate }),
          ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        },
      );
    };
    const wake = () => {
      if (starved) start();
    };
    const fail = (error: unknown) => {
      if (ended) return;
      ended = true;
      pump?.stop();
      feed.close();
      subscriber.error(error);
    };
    feed.wake = wake;
    feed.fail = fail;
    feed.open();
    const reject = (
      message: string,
      code:
        | 'ADAMFLOW_ERR_COMMAND_INVALID'
        | 'ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE' = 'ADAMFLOW_ERR_COMMAND_INVALID',
    ) =>
      subscriber.next({
        type: 'command-rejected',
        code,
        message,
        ...position(),
      });

    const apply = (command: SessionCommand) => {
      if (ended) return;
      switch (command?.type) {
        case 'pause':
          if (paused) return reject('already paused');
          paused = true;
          pump?.stop();
          return subscriber.next({ type: 'run-paused', ...position() });
        case 'resume':
          if (!paused) return reject('not paused');
          paused = false;
          subscriber.next({ type: 'run-resumed', ...position() });
          return start();
        case 'reset':
          learner.reset();
          return subscriber.next({
            type: 'run-reset',
            params: Array.from(learner.params),
            ...position(),
          });
        case 'set-lr': {
          const value = command.lr;
          if (typeof value !== 'number' || !(Number.isFinite(value) && value > 0)) {
            return reject(`set-lr: lr must be a positive finite number, got ${String(value)}`);
          }
          learner.optimizer.set({ lr: value });
          return subscriber.next({ type: 'lr-changed', lr: value, ...position() });
        }
        case 'set-optimizer': {
          if (!optimizerNames.includes(command.optimizer)) {
            return reject(
              `set-optimizer: optimizer must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(command.optimizer)}`,
            );
          }
          if (command.lr !== undefined && !(Number.isFinite(command.lr) && command.lr > 0)) {
            return reject(
              `set-optimizer: lr must be a positive finite number, got ${String(command.lr)}`,
            );
          }
          learner.setOptimizer(
            command.optimizer,
            command.lr === undefined ? {} : { lr: command.lr },
          );
          return subscriber.next({
            type: 'optimizer-changed',
            optimizer: command.optimizer,
            lr: learner.optimizer.lr,
            ...position(),
          });
        }
        case 'set-source': {
          if (!feed.generator) {
            return reject(
              'set-source: this session trains on a stream of your own; start another session for a synthetic source',
            );
          }
          let next: SampleGenerator;
          try {
            next = createGenerator(resolveSpec(command.source));
          } catch (error) {
            return reject(`set-source: ${(error as Error).message}`);
          }
          const sameShape =
            next.features === learner.model.features &&
            modelFor(next.spec.kind, next.features).kind === learner.model.kind;
          feed = generatorFeed(next);
          if (!sameShape) {
            learner = new Learner({
              model: modelFor(next.spec.kind, next.features),
              optimizer: learner.optimizerName ?? 'adam',
              batchSize: learner.batchSize,
              window: learner.metrics.window,
            });
          }
          return subscriber.next({
            type: 'source-changed',
            config: config() as SessionConfig,
            params: Array.from(learner.params),
            ...position(),
          });
        }
        case 'set-rate': {
          const value = command.rate;
          if (value !== null && !(typeof value === 'number' && value > 0)) {
            return reject(
              `set-rate: rate must be a positive number of samples per second or null, got ${String(value)}`,
            );
          }
          rate = value === Number.POSITIVE_INFINITY ? null : value;
          subscriber.next({ type: 'rate-changed', rate, ...position() });
          return start();
        }
        case 'checkpoint':
          if (!feed.resumable) {
            return reject(
              'checkpoint: this stream cannot say where it stands (it has no position()), so no checkpoint could resume it; wrap it in fromIterable(...) to count its rows',
              'ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE',
            );
          }
          return subscriber.next({
            type: 'checkpoint-created',
            checkpoint: snapshot(feed, learner, samples),
            ...position(),
          } as SessionEvent | StreamSessionEvent);
        default:
          return reject(`unknown command ${JSON.stringify((command as { type?: unknown })?.type)}`);
      }
    };

    subscriber.next({
      type: 'run-start',
      config: config(),
      params: Array.from(learner.params),
      ...position(),
    } as SessionEvent | StreamSessionEvent);
    let control: Subscription | undefined;
    if (options.control) {
      control = options.control.subscribe({
        next: apply,
        error: (error) => subscriber.error(error),
      });
    }
    start();
    return () => {
      ended = true;
      pump?.stop();
      feed.close();
      control?.unsubscribe();
    };
  });
}

function snapshot(
  feed: SessionFeed,
  learner: Learner,
  samples: number,
): SessionCheckpoint | StreamSessionCheckpoint {
  const common = { format: 'adamflow.session', version: 1, samples } as const;
  const rest = { learner: learner.state(), batchSize: learner.batchSize };
  return feed.generator
    ? { ...common, generator: feed.generator.state(), ...rest }
    : { ...common, position: { ...feed.position() }, ...rest };
}

function open(options: TrainSessionOptions | StreamSessionOptions): {
  feed: SessionFeed;
  learner: Learner;
} {
  if (isSampleStream(options.source)) return openStream(options as StreamSessionOptions);
  const spec = options as TrainSessionOptions;
  const from = spec.from;
  if (from !== undefined) {
    checkFormat(from);
    if ((from as Partial<SessionCheckpoint>).generator === undefined) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        'trainSession: this checkpoint is of a stream of your own (it has a position, no generator); pass that stream again as source, opened at checkpoint.position',
      );
    }
    const generator = restoreGenerator(from.generator);
    const learner = restoreLearner(modelFor(generator.spec.kind, generator.features), from);
    return { feed: generatorFeed(generator), learner };
  }
  const generator = createGenerator(resolveSpec(spec.source ?? linearSpec()));
  const learner = freshLearner(modelFor(generator.spec.kind, generator.features), spec);
  return { feed: generatorFeed(generator), learner };
}

function openStream(options: StreamSessionOptions): { feed: SessionFeed; learner: Learner } {
  const { source, model, from } = options;
  if (model === null || typeof model !== 'object') {
    throw new TypeError(
      'trainSession: a stream of your own needs its model, e.g. { source: rows, model: linearRegression({ features: 3 }) }',
    );
  }
  const maxBuffered = options.maxBuffered ?? 65_536;
  if (!(Number.isSafeInteger(maxBuffered) && maxBuffered > 0)) {
    throw new RangeError(`maxBuffered must be a positive integer, got ${String(maxBuffered)}`);
  }
  if (from === undefined) {
    return { feed: streamFeed(source, maxBuffered), learner: freshLearner(model, options) };
  }
  checkFormat(from);
  const tell = positionOf(source);
  if (tell === null) {
    throw new StreamError(
      'ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE',
      'trainSession: from needs a stream that says where it stands (position()), opened where the checkpoint was taken, e.g. fromCsv(path, { ..., from: checkpoint.position })',
    );
  }
  const rows = (from as Partial<StreamSessionCheckpoint>).position?.rows;
  if (rows === undefined || tell().rows !== rows) {
    throw new StreamError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `trainSession: the checkpoint was taken at row ${String(rows)} of its stream, but source starts at row ${tell().rows}; open the stream with from: checkpoint.position`,
    );
  }
  return { feed: streamFeed(source, maxBuffered), learner: restoreLearner(model, from) };
}

function checkFormat(from: { format?: unknown; version?: unknown } | null): void {
  if (from?.format !== 'adamflow.session' || from.version !== 1) {
    throw new StreamError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      "trainSession: from must be a checkpoint-created event's checkpoint (format adamflow.session, version 1)",
    );
  }
}

function restoreLearner(model: Model, from: { learner: LearnerState; batchSize: number }): Learner {
  const learner = new Learner({
    model,
    optimizer: from.learner.optimizerName ?? 'adam',
    params: from.learner.params,
    batchSize: from.batchSize,
    window: from.learner.metrics.window,
    emaBeta: from.learner.metrics.emaBeta,
  });
  try {
    learner.loadState(from.learner);
  } catch (error) {
    throw new StreamError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `trainSession: ${(error as Error).message}`,
    );
  }
  return learner;
}

function freshLearner(
  model: Model,
  options: Pick<TrainSessionOptions, 'optimizer' | 'lr' | 'params' | 'batchSize' | 'window'>,
): Learner {
  const optimizer = options.optimizer ?? 'adam';
  if (!optimizerNames.includes(optimizer)) {
    throw new TypeError(
      `optimizer must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(optimizer)}`,
    );
  }
  const learner = new Learner({
    model,
    optimizer,
    ...(options.params ? { params: options.params } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.window ? { window: options.window } : {}),
  });
  if (options.lr !== undefined) learner.optimizer.set({ lr: options.lr });
  return learner;
}
