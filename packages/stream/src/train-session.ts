import { type OptimizerName, optimizerNames } from '@adamflow/core';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
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
import { modelFor } from './model.js';
import { type Pump, startPump } from './pump.js';
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

/** The session's configuration, as announced in `run-start` and after every change. */
export interface SessionConfig {
  source: SourceSpec;
  model: 'linear-regression' | 'logistic-regression';
  features: number;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  rate: number | null;
  paused: boolean;
}

/** Everything a session emits, named noun-then-action. */
export type SessionEvent =
  | ({ type: 'run-start'; config: SessionConfig; params: number[] } & SessionPosition)
  | ParamsUpdate
  | ({ type: 'run-paused' } & SessionPosition)
  | ({ type: 'run-resumed' } & SessionPosition)
  | ({ type: 'run-reset'; params: number[] } & SessionPosition)
  | ({ type: 'lr-changed'; lr: number } & SessionPosition)
  | ({ type: 'optimizer-changed'; optimizer: OptimizerName; lr: number } & SessionPosition)
  | ({ type: 'source-changed'; config: SessionConfig; params: number[] } & SessionPosition)
  | ({ type: 'rate-changed'; rate: number | null } & SessionPosition)
  | ({ type: 'checkpoint-created'; checkpoint: SessionCheckpoint } & SessionPosition)
  | ({
      type: 'command-rejected';
      code: 'ADAMFLOW_ERR_COMMAND_INVALID';
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

/** Options of {@link trainSession}. */
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

/**
 * A live training run with controls: a seeded source, a model and an optimizer,
 * driven by a pump (batches per macrotask, or paced), steered by a stream of
 * commands. Every change shows up as an event; commands are applied between two
 * samples, so none is lost or duplicated. Invalid commands produce
 * `command-rejected` and the run goes on; a malformed sample or non-finite gradient
 * under the `'throw'` policy ends the run with an RxJS error carrying its `code`.
 *
 * `reset` restores the initial parameters and a fresh optimizer and metrics; the
 * source continues with new samples (it does not replay old ones).
 *
 * @param options - {@link TrainSessionOptions}.
 * @returns a cold Observable: each subscription is its own run.
 * @example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { trainSession, type SessionCommand } from '@adamflow/stream';
 * const control = new Subject<SessionCommand>();
 * trainSession({ rate: 1000, control }).subscribe((event) => console.log(event.type));
 * control.next({ type: 'set-lr', lr: 0.01 });
 * control.next({ type: 'pause' });
 * ```
 */
export function trainSession(options: TrainSessionOptions = {}): Observable<SessionEvent> {
  const output = checkOutputMode(options.output);
  const onSample = options.onSample;
  const limit = options.samples ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new RangeError(`samples must be a number >= 0, got ${options.samples}`);
  // Validate the configuration eagerly, so mistakes throw at the call.
  const initial = open(options);
  void initial;
  return new Observable<SessionEvent>((subscriber) => {
    let { generator, learner } = open(options);
    let samples = options.from?.samples ?? 0;
    let rate: number | null = options.rate ?? null;
    let paused = options.paused ?? false;
    let pump: Pump | undefined;
    let ended = false;
    const makeUpdate = updateFactory(output);
    const position = (): SessionPosition => ({ samples, step: learner.steps });
    const config = (): SessionConfig => ({
      source: generator.spec,
      // Sessions build their models with modelFor(): always one of these two kinds.
      model: learner.model.kind as SessionConfig['model'],
      features: learner.model.features,
      optimizer: learner.optimizerName ?? 'adam',
      lr: learner.optimizer.lr,
      batchSize: learner.batchSize,
      rate,
      paused,
    });
    const end = () => {
      ended = true;
      pump?.stop();
      subscriber.next({ type: 'run-end', params: Array.from(learner.params), ...position() });
      subscriber.complete();
    };
    const emitOne = () => {
      if (samples >= limit) return end();
      samples++;
      const sample = generator.next();
      onSample?.(sample);
      if (learner.learn(sample)) {
        subscriber.next(makeUpdate(learner, samples));
      }
      if (samples >= limit) end();
    };
    const start = () => {
      pump?.stop();
      if (paused || ended || subscriber.closed) return;
      pump = startPump(
        () => subscriber.closed || ended,
        () => {
          try {
            emitOne();
          } catch (error) {
            ended = true;
            subscriber.error(error);
          }
        },
        {
          ...(rate === null ? {} : { rate }),
          ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        },
      );
    };
    const reject = (message: string) =>
      subscriber.next({
        type: 'command-rejected',
        code: 'ADAMFLOW_ERR_COMMAND_INVALID',
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
          let next: SampleGenerator;
          try {
            next = createGenerator(resolveSpec(command.source));
          } catch (error) {
            return reject(`set-source: ${(error as Error).message}`);
          }
          const sameShape =
            next.features === learner.model.features &&
            modelFor(next.spec.kind, next.features).kind === learner.model.kind;
          generator = next;
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
            config: config(),
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
          return subscriber.next({
            type: 'checkpoint-created',
            checkpoint: {
              format: 'adamflow.session',
              version: 1,
              samples,
              generator: generator.state(),
              learner: learner.state(),
              batchSize: learner.batchSize,
            },
            ...position(),
          });
        default:
          return reject(`unknown command ${JSON.stringify((command as { type?: unknown })?.type)}`);
      }
    };

    subscriber.next({
      type: 'run-start',
      config: config(),
      params: Array.from(learner.params),
      ...position(),
    });
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
      control?.unsubscribe();
    };
  });
}

function open(options: TrainSessionOptions): { generator: SampleGenerator; learner: Learner } {
  const from = options.from;
  if (from !== undefined) {
    if (from?.format !== 'adamflow.session' || from.version !== 1) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        "trainSession: from must be a checkpoint-created event's checkpoint (format adamflow.session, version 1)",
      );
    }
    const generator = restoreGenerator(from.generator);
    const learner = new Learner({
      model: modelFor(generator.spec.kind, generator.features),
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
    return { generator, learner };
  }
  const generator = createGenerator(resolveSpec(options.source ?? linearSpec()));
  const optimizer = options.optimizer ?? 'adam';
  if (!optimizerNames.includes(optimizer)) {
    throw new TypeError(
      `optimizer must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(optimizer)}`,
    );
  }
  const learner = new Learner({
    model: modelFor(generator.spec.kind, generator.features),
    optimizer,
    ...(options.params ? { params: options.params } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.window ? { window: options.window } : {}),
  });
  if (options.lr !== undefined) learner.optimizer.set({ lr: options.lr });
  return { generator, learner };
}
