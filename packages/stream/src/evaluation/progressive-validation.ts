import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { Row } from '../data/row.js';
import { StreamError } from '../errors.js';
import type { Metric } from '../metrics/metric.js';
import type { Pipeline } from '../pipeline.js';

/** Options of {@link progressiveValidation}. */
export interface ProgressiveValidationOptions {
  /** The metrics to update with each row's prediction (cumulative or rolling). */
  metrics: readonly Metric[];
  /** Call `onReport` every this many samples; default never (only the returned final report). */
  every?: number;
  /** Receives a report every `every` samples. */
  onReport?: (report: ValidationReport) => void;
  /** Samples already validated before this call (when resuming); default 0. */
  samples?: number;
  /** Stop after this many rows in this call (the rest of the stream is left unread). */
  limit?: number;
}

/** Where a progressive validation stands. */
export interface ValidationReport {
  /** Samples validated (scored, then learned), counting those before a resume. */
  samples: number;
  /** Each metric's current value, by name. */
  metrics: Record<string, number>;
}

/**
 * River's `evaluate.progressive_val_score`: for each row, the pipeline's prediction
 * (made before it learns the row) updates the metrics, then the pipeline learns it.
 * Every row is thus scored by a model that has not seen it. Works over any iterable,
 * async iterable (the adapters, pulled one row at a time) or RxJS Observable (pushed;
 * the rows are learned as they arrive).
 *
 * Training that diverges (a non-finite gradient, or parameters that stop being finite)
 * stops with `ADAMFLOW_ERR_DIVERGED`, naming the sample.
 *
 * @param stream - the rows.
 * @param model - the pipeline to train.
 * @param options - {@link ProgressiveValidationOptions}.
 * @returns the final report.
 * @example
 * ```ts
 * import {
 *   createMetric, fromCsv, logisticRegression, pipeline, progressiveValidation, standardScaler,
 * } from '@adamflow/stream';
 * const model = pipeline({
 *   inputs: 9,
 *   stages: [standardScaler()],
 *   model: (features) => logisticRegression({ features }),
 *   optimizer: { name: 'sgd', options: { lr: 0.1 }, interceptLr: 0.01 },
 * });
 * const report = await progressiveValidation(
 *   fromCsv('phishing.csv.gz', { target: 'is_phishing' }),
 *   model,
 *   { metrics: [createMetric('accuracy')] },
 * );
 * report.metrics.accuracy; // 0.8896
 * ```
 */
export async function progressiveValidation(
  stream: Iterable<Row> | AsyncIterable<Row> | Observable<Row>,
  model: Pipeline,
  options: ProgressiveValidationOptions,
): Promise<ValidationReport> {
  const metrics = options?.metrics;
  if (!Array.isArray(metrics) || metrics.length === 0) {
    throw new TypeError('progressiveValidation: metrics must be a non-empty array of metrics');
  }
  const every = options.every ?? Number.POSITIVE_INFINITY;
  if (!(every === Number.POSITIVE_INFINITY || (Number.isInteger(every) && every >= 1))) {
    throw new RangeError(
      `progressiveValidation: every must be a positive integer, got ${String(every)}`,
    );
  }
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let samples = options.samples ?? 0;
  let done = 0;
  const report = (): ValidationReport => {
    const values: Record<string, number> = {};
    for (const metric of metrics) values[metric.name] = metric.get();
    return { samples, metrics: values };
  };
  const step = (row: Row): void => {
    let prediction: number;
    try {
      prediction = model.learn(row);
    } catch (error) {
      throw diverged(error, samples + 1);
    }
    // K classes: the metrics take the probabilities (learn returns the class index).
    const scored = model.probabilities ?? prediction;
    for (const metric of metrics) metric.update(row.y, scored);
    samples++;
    done++;
    if (samples % every === 0) {
      checkFinite(model, samples);
      options.onReport?.(report());
    }
  };
  if (limit > 0) {
    if (isObservable(stream)) {
      await new Promise<void>((resolve, reject) => {
        // A synchronous source emits inside subscribe(), before its subscription
        // exists: `stopped` drops what comes after the end, and the subscription is
        // closed as soon as there is one.
        let stopped = false;
        let subscription: Subscription | undefined;
        const stop = (error?: unknown) => {
          stopped = true;
          subscription?.unsubscribe();
          if (error === undefined) resolve();
          else reject(error);
        };
        subscription = stream.subscribe({
          next(row) {
            if (stopped) return;
            try {
              step(row);
              if (done >= limit) stop();
            } catch (error) {
              stop(error);
            }
          },
          error: (error: unknown) => stop(error ?? new Error('the source failed')),
          complete: () => stop(),
        });
        if (stopped) subscription.unsubscribe();
      });
    } else {
      for await (const row of stream as AsyncIterable<Row>) {
        step(row);
        if (done >= limit) break;
      }
    }
  }
  checkFinite(model, samples);
  return report();
}

function checkFinite(model: Pipeline, samples: number): void {
  const params = model.params;
  let poison = 0;
  for (let i = 0; i < params.length; i++) poison += params[i]! - params[i]!;
  if (poison !== 0) {
    throw new StreamError(
      'ADAMFLOW_ERR_DIVERGED',
      `training diverged: the parameters are not finite after ${samples} samples; lower the learning rate`,
    );
  }
}

function diverged(error: unknown, sample: number): unknown {
  if ((error as { code?: unknown })?.code !== 'ADAMFLOW_ERR_NON_FINITE_GRADIENT') return error;
  return new StreamError(
    'ADAMFLOW_ERR_DIVERGED',
    `training diverged at sample ${sample}: the gradient is not finite; lower the learning rate`,
  );
}
