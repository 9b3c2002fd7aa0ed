import { Observable, type OperatorFunction } from 'rxjs';
import type { Sample, SampleBatch } from './generators.js';
import { Learner, type LearnerState } from './learner.js';
import { checkLearnerOptions, type LearnerOptions } from './learner-options.js';
import { checkOutputMode, type OutputMode, type ParamsUpdate, updateFactory } from './updates.js';

/** Options of {@link trainOnline}. */
export interface TrainOnlineOptions extends LearnerOptions {
  /** See {@link OutputMode}; default `'copy'`. */
  output?: OutputMode;
  /**
   * Start each subscription from this state (a `Learner.state()`, e.g. one taken with
   * `checkpointer`) instead of the initial params: params, optimizer state, pending
   * minibatch, counters and metrics. The optimizer must be of the same kind.
   */
  from?: LearnerState;
  /**
   * Called at each subscription with a function that returns the run's current state
   * (JSON-safe): call it whenever you want a checkpoint while the run goes on.
   */
  checkpointer?: (take: () => LearnerState) => void;
}

/**
 * Trains per sample: each incoming sample (or each row of an incoming
 * {@link SampleBatch}) is scored, turned into a gradient by the model and fed to the
 * optimizer; every optimizer step (every `batchSize` samples) emits a
 * {@link ParamsUpdate}. One operator hop per emission; all per-sample maths runs in
 * plain loops inside it. Each subscription trains its own parameters from the
 * initial ones, with its own optimizer: an optimizer factory is called once per
 * subscription (never at pipe time), so what it throws reaches that subscriber.
 *
 * Errors (a malformed sample or non-finite gradient under the `'throw'` policy) reach
 * the subscriber as an RxJS error with a stable `code`, and the source is unsubscribed.
 *
 * So `retry()` starts again from the initial params (or from `from`),
 * not where the failed run stopped: to continue instead, take a state with
 * `checkpointer` and subscribe again with `from` set to it (and the source resumed at
 * the same sample).
 *
 * @param options - model, optimizer, minibatch, metrics and output options.
 * @returns an operator from samples (or sample batches) to parameter updates.
 * @example
 * ```ts
 * import { take } from 'rxjs';
 * import { Adam } from '@adamflow/core';
 * import { linearSource, linearRegression, trainOnline } from '@adamflow/stream';
 * linearSource({ seed: 42 }).pipe(
 *   take(100_000),
 *   trainOnline({ model: linearRegression(), optimizer: (params) => new Adam(params, { lr: 0.01 }) }),
 * ).subscribe((u) => console.log(u.step, u.params));
 * ```
 */
export function trainOnline(
  options: TrainOnlineOptions,
): OperatorFunction<Sample | SampleBatch, ParamsUpdate> {
  const output = checkOutputMode(options.output);
  // Check now so bad options throw at pipe() time; the optimizer factory runs once per
  // subscription, when its learner is built.
  checkLearnerOptions(options);
  return (source) =>
    new Observable<ParamsUpdate>((subscriber) => {
      const learner = new Learner(options);
      if (options.from) learner.loadState(options.from);
      options.checkpointer?.(() => learner.state());
      const makeUpdate = updateFactory(output);
      const emit = () => subscriber.next(makeUpdate(learner, learner.samples));
      // RxJS's documented pattern for an operator written from scratch: subscribe to
      // the source inside a new Observable and return its teardown.
      const subscription = source.subscribe({
        next(input) {
          // A synchronous source may still push after we errored; ignore it.
          if (subscriber.closed) return;
          try {
            if ((input as SampleBatch).kind === 'sample-batch') {
              learner.learnBatch(input as SampleBatch, emit);
            } else if (learner.learn(input as Sample)) {
              emit();
            }
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => subscription.unsubscribe();
    });
}
