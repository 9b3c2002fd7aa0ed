import type { OptimizerName, OptimizerState } from '@adamflow/core';
import { describeIndex, describeSample } from './describe-sample.js';
import { StreamError } from './errors.js';
import type { Sample, SampleBatch } from './generators.js';
import {
  buildOptimizer,
  checkLearnerOptions,
  type LearnerOptimizer,
  type LearnerOptions,
  type OptimizerSpec,
} from './learner-options.js';
import { type MetricsState, PrequentialMetrics } from './metrics.js';
import type { Model } from './model.js';
import type { PartitionedState } from './partitioned.js';

/** The learner's complete state, for checkpoints. */
export interface LearnerState {
  params: number[];
  initialParams: number[];
  optimizerName: OptimizerName | null;
  optimizer: OptimizerState | PartitionedState;
  gradient: number[];
  pending: number;
  pendingLoss: number;
  steps: number;
  samples: number;
  skippedSamples: number;
  metrics: MetricsState;
}

/**
 * Online learning, one sample at a time: predict, score (prequential), accumulate the
 * gradient, and step the optimizer every `batchSize` samples. All per-sample maths is
 * in plain loops over preallocated buffers; nothing is allocated per sample.
 *
 * It is the engine under `trainOnline` and `trainSession`; use it directly in a loop
 * when you do not want RxJS.
 *
 * @example
 * ```ts
 * import { Learner, linearRegression, createGenerator, linearSpec } from '@adamflow/stream';
 * const learner = new Learner({ model: linearRegression(), optimizer: 'adam' });
 * const source = createGenerator(linearSpec());
 * for (let i = 0; i < 100_000; i++) learner.learn(source.next());
 * learner.params; // ≈ [4, 3]
 * ```
 */
export class Learner {
  /** The parameters, in the model's layout (a GLM's: bias first); updated in place. */
  readonly params: Float64Array;
  /** The model. */
  readonly model: Model;
  /** Samples per step. */
  readonly batchSize: number;
  /** The metrics. */
  metrics: PrequentialMetrics;
  /** The optimizer currently in use. */
  optimizer: LearnerOptimizer;
  /** The registry name of the optimizer, when built from one. */
  optimizerName: OptimizerName | null;
  /** The loss of the last completed batch (mean over its samples). */
  lastLoss = Number.NaN;
  /** The learning rate of the last step. */
  lastLr = Number.NaN;
  /** Optimizer steps taken since construction or reset. */
  steps = 0;
  /** Samples offered since construction (learned or skipped; reset() keeps counting). */
  samples = 0;
  /** Samples refused (malformed, under the optimizer's `'skip'` policy). */
  skippedSamples = 0;
  private readonly initialParams: Float64Array;
  private readonly gradient: Float64Array;
  private readonly weight: number;
  // The model's per-sample buffer while learning, and another for predict() so a
  // prediction never disturbs a step in progress.
  private readonly buffer: Float64Array;
  private readonly predictBuffer: Float64Array;
  // Scratch for the batch fast path (predictions and losses of one segment).
  private scratch = new Float64Array(0);
  private scratchLosses = new Float64Array(0);
  private pending = 0;
  private pendingLoss = 0;

  /** @param options - {@link LearnerOptions}. */
  constructor(options: LearnerOptions) {
    checkLearnerOptions(options);
    const { model } = options;
    this.model = model;
    this.batchSize = options.batchSize ?? 1;
    this.params = new Float64Array(model.size);
    if (options.params !== undefined) this.params.set(Array.from(options.params));
    else model.initialize?.(this.params);
    this.initialParams = this.params.slice();
    this.weight = 1 / this.batchSize;
    this.gradient = new Float64Array(model.size);
    this.buffer = new Float64Array(model.bufferSize);
    this.predictBuffer = new Float64Array(model.bufferSize);
    this.metrics = new PrequentialMetrics(
      model.task,
      options.window ?? 100,
      options.emaBeta ?? 0.99,
    );
    this.optimizerName = typeof options.optimizer === 'string' ? options.optimizer : null;
    this.optimizer = buildOptimizer(options.optimizer, this.params);
  }

  /**
   * Learns from one sample. Throws (leaving the learner as it was) on a malformed
   * sample under the optimizer's `'throw'` policy, and passes on the optimizer's own
   * errors (e.g. `ADAMFLOW_ERR_NON_FINITE_GRADIENT`).
   *
   * @param sample - features and target.
   * @returns true when this sample completed a batch and the optimizer stepped.
   */
  learn(sample: Sample): boolean {
    if (sample === null || typeof sample !== 'object') return this.refuse(sample);
    if (!this.wellFormed(sample.x as unknown, sample.y as unknown)) return this.refuse(sample);
    this.samples++;
    return this.learnRow(sample.x, 0, sample.y);
  }

  /**
   * Learns from every row of a {@link SampleBatch}, in order, exactly as if its samples
   * had arrived one by one. The whole batch is checked first: under the `'throw'`
   * policy a malformed row throws before anything is learned.
   *
   * @param batch - rows of features and targets.
   * @param onStep - called after each optimizer step the batch completes.
   * @returns the number of optimizer steps taken.
   */
  learnBatch(batch: SampleBatch, onStep?: () => void): number {
    const { x, y, count } = batch;
    const features = this.model.features;
    if (batch.features !== features || x.length !== count * features || y.length !== count) {
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `sample batch at ${batch.start} is malformed: expected ${count} rows of ${features} features`,
      );
    }
    let poison = 0;
    for (let i = 0; i < x.length; i++) poison += x[i]! - x[i]!;
    for (let i = 0; i < count; i++) poison += y[i]! - y[i]!;
    let clean = poison === 0;
    if (this.model.outputs > 1 || this.model.checkTarget !== undefined) {
      for (let i = 0; clean && i < count; i++) clean = this.validTarget(y[i]!);
    }
    if (!clean && this.optimizer.options.nonFinite === 'throw') this.refuseFirstBadRow(batch);
    let steps = 0;
    if (clean && this.model.scoreRows && this.model.outputs === 1) {
      // Fast path: whole segments up to the next optimizer step in tight loops (the
      // params do not change inside a segment), same operations in the same order.
      let row = 0;
      while (row < count) {
        const length = Math.min(count - row, this.batchSize - this.pending);
        this.scoreSegment(batch, row, length);
        row += length;
        if (this.pending === this.batchSize) {
          this.completeStep();
          steps++;
          onStep?.();
        }
      }
      return steps;
    }
    for (let row = 0; row < count; row++) {
      const offset = row * features;
      if (!clean && !this.rowFinite(x, offset, y[row]!)) {
        if (this.refuse(batchRow(batch, row))) {
          steps++;
          onStep?.();
        }
        continue;
      }
      this.samples++;
      if (this.learnRow(x, offset, y[row]!)) {
        steps++;
        onStep?.();
      }
    }
    return steps;
  }

  /** The per-sample work: score, record, accumulate; step when the batch is full. */
  private learnRow(x: ArrayLike<number>, offset: number, y: number): boolean {
    const model = this.model;
    const buffer = this.buffer;
    const prediction = model.predict(this.params, x, offset, buffer);
    const loss = model.loss(prediction, y, buffer);
    if (model.outputs === 1) this.metrics.record(prediction, y, loss);
    // K classes: the metrics' accuracy thresholds a probability against a 0/1 label,
    // so hand them "right" or "wrong" as a certain prediction of label 1.
    else this.metrics.record(prediction === y ? 1 : 0, 1, loss);
    model.accumulateGradient(
      this.params,
      x,
      offset,
      y,
      prediction,
      this.gradient,
      this.weight,
      buffer,
    );
    this.pendingLoss += loss;
    if (++this.pending < this.batchSize) return false;
    this.completeStep();
    return true;
  }

  /** Scores `length` rows of a batch from `first` and accumulates their gradients. */
  private scoreSegment(batch: SampleBatch, first: number, length: number): void {
    if (this.scratch.length < length) {
      this.scratch = new Float64Array(length);
      this.scratchLosses = new Float64Array(length);
    }
    const predictions = this.scratch;
    const losses = this.scratchLosses;
    this.model.scoreRows!(
      this.params,
      batch.x,
      batch.y,
      first,
      length,
      predictions,
      losses,
      this.gradient,
      this.weight,
    );
    this.metrics.recordMany(predictions, batch.y, first, losses, length);
    let pendingLoss = this.pendingLoss;
    for (let k = 0; k < length; k++) pendingLoss += losses[k]!;
    this.pendingLoss = pendingLoss;
    this.pending += length;
    this.samples += length;
  }

  /** The optimizer step at the end of a minibatch. */
  private completeStep(): void {
    const batchLoss = this.pendingLoss / this.batchSize;
    this.pending = 0;
    this.pendingLoss = 0;
    const gradient = this.gradient;
    let stepped: boolean;
    try {
      stepped = this.optimizer.step(gradient);
    } finally {
      // A thrown step leaves the optimizer untouched; the batch is dropped either way.
      // (A loop: TypedArray#fill is a builtin call that costs more than 2 stores.)
      for (let j = 0; j < gradient.length; j++) gradient[j] = 0;
    }
    if (stepped) {
      this.steps++;
      this.lastLr = this.optimizer.lastLr;
    }
    this.lastLoss = batchLoss;
  }

  /** Under the `'throw'` policy a batch is refused whole, before any of its rows is learned. */
  private refuseFirstBadRow(batch: SampleBatch): void {
    const features = this.model.features;
    for (let row = 0; row < batch.count; row++) {
      if (!this.rowFinite(batch.x, row * features, batch.y[row]!))
        this.refuse(batchRow(batch, row));
    }
  }

  private rowFinite(x: Float64Array, offset: number, y: number): boolean {
    let poison = y - y;
    for (let j = 0; j < this.model.features; j++) poison += x[offset + j]! - x[offset + j]!;
    return poison === 0 && this.validTarget(y);
  }

  // A class index for K classes, and whatever the model's own `checkTarget` accepts (a
  // count >= 0 for Poisson regression), so a refused target never reaches the optimizer.
  private validTarget(y: number): boolean {
    const k = this.model.outputs;
    if (k !== 1 && !(Number.isInteger(y) && y >= 0 && y < k)) return false;
    return this.model.checkTarget === undefined || this.model.checkTarget(y) === null;
  }

  /**
   * The model's prediction for features `x`, without learning: the value for a
   * regression; for a classifier the predicted class (1 when P(y = 1) > 0.5, else 0;
   * with K classes the most probable, the first on ties). Touches no state.
   *
   * @param x - `model.features` finite numbers.
   * @returns the prediction.
   * @throws StreamError `ADAMFLOW_ERR_MALFORMED_SAMPLE` when `x` is not `features` finite numbers.
   * @example
   * ```ts
   * import { Learner, linearRegression } from '@adamflow/stream';
   * const learner = new Learner({ model: linearRegression(), optimizer: 'adam', params: [4, 3] });
   * learner.predict([1]); // 7
   * ```
   */
  predict(x: ArrayLike<number>): number {
    const model = this.model;
    const prediction = this.forward(x, 'predict');
    if (model.task === 'regression' || model.outputs > 1) return prediction;
    return prediction > 0.5 ? 1 : 0;
  }

  /**
   * A classifier's probabilities for features `x`, without learning: P(y = 1) for one
   * output; a new `Float64Array` of the K class probabilities (or `into`, filled) for K.
   *
   * @param x - `model.features` finite numbers.
   * @param into - optional: where to write the K probabilities (length `outputs`).
   * @returns P(y = 1), or the class probabilities.
   * @throws TypeError for a regression model; StreamError for a malformed `x`.
   * @example
   * ```ts
   * import { Learner, softmaxRegression } from '@adamflow/stream';
   * const learner = new Learner({ model: softmaxRegression({ features: 2, classes: 3 }), optimizer: 'adam' });
   * learner.predictProba([0.5, -1]); // Float64Array [1/3, 1/3, 1/3] before any learning
   * ```
   */
  predictProba(x: ArrayLike<number>, into?: Float64Array): number | Float64Array {
    const model = this.model;
    if (model.task !== 'classification') {
      throw new TypeError(
        `predictProba: the model (${model.kind}) is a regression; use predict(x) for its value`,
      );
    }
    const prediction = this.forward(x, 'predictProba');
    if (model.outputs === 1) return prediction;
    const probabilities = into ?? new Float64Array(model.outputs);
    if (probabilities.length !== model.outputs) {
      throw new RangeError(
        `predictProba: into has length ${probabilities.length} but the model has ${model.outputs} classes`,
      );
    }
    probabilities.set(this.predictBuffer.subarray(0, model.outputs));
    return probabilities;
  }

  private forward(x: ArrayLike<number>, name: string): number {
    const model = this.model;
    if (!isArrayLike(x) || x.length !== model.features || !allFinite(x)) {
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `${name}: x must be ${model.features} finite numbers, got ${describeSample(x)}`,
      );
    }
    return model.predict(this.params, x, 0, this.predictBuffer);
  }

  /** Swaps the optimizer, keeping params (moments start fresh). */
  setOptimizer(optimizer: OptimizerSpec, options?: Record<string, unknown>): void {
    const next = buildOptimizer(optimizer, this.params, options);
    this.optimizer = next;
    this.optimizerName = typeof optimizer === 'string' ? optimizer : null;
  }

  /** Back to the initial params, a fresh optimizer state, empty metrics. */
  reset(): void {
    this.params.set(this.initialParams);
    this.optimizer.reset();
    this.metrics.reset();
    this.gradient.fill(0);
    this.pending = 0;
    this.pendingLoss = 0;
    this.steps = 0;
    this.skippedSamples = 0;
    this.lastLoss = Number.NaN;
  }

  /** @returns the complete state, JSON-safe. */
  state(): LearnerState {
    return {
      params: Array.from(this.params),
      initialParams: Array.from(this.initialParams),
      optimizerName: this.optimizerName,
      optimizer: this.optimizer.state(),
      gradient: Array.from(this.gradient),
      pending: this.pending,
      pendingLoss: this.pendingLoss,
      steps: this.steps,
      samples: this.samples,
      skippedSamples: this.skippedSamples,
      metrics: this.metrics.state(),
    };
  }

  /**
   * Restores {@link Learner.state} (the optimizer must be of the same kind, a partition
   * of the same groups). Everything is checked before anything changes: a refused
   * state leaves the learner as it was.
   */
  loadState(state: LearnerState): void {
    if (
      state.params.length !== this.params.length ||
      state.gradient.length !== this.params.length ||
      state.initialParams.length !== this.params.length
    ) {
      throw new RangeError('learner state: parameter count differs from this model');
    }
    if (!Number.isInteger(state.pending) || state.pending < 0 || state.pending >= this.batchSize) {
      throw new RangeError(
        `learner state: pending must be an integer in [0, ${this.batchSize}), got ${String(state.pending)}; restore into a learner with the same batchSize`,
      );
    }
    const metrics = PrequentialMetrics.fromState(state.metrics);
    this.optimizer.loadState(state.optimizer);
    this.initialParams.set(state.initialParams);
    this.gradient.set(state.gradient);
    this.pending = state.pending;
    this.pendingLoss = state.pendingLoss;
    this.steps = state.steps;
    this.samples = state.samples;
    this.skippedSamples = state.skippedSamples;
    this.metrics = metrics;
  }

  /** A malformed sample: skipped or refused according to the optimizer's policy. */
  private refuse(sample: unknown): boolean {
    const model = this.model;
    const x = (sample as { x?: unknown } | null)?.x;
    const policy = this.optimizer.options.nonFinite;
    if (policy === 'skip') {
      this.samples++;
      this.skippedSamples++;
      return false;
    }
    const y = (sample as { y?: unknown } | null)?.y;
    if (
      policy === 'throw' ||
      !isArrayLike(x) ||
      x.length !== model.features ||
      (typeof y === 'number' && !this.validTarget(y))
    ) {
      const target =
        model.outputs > 1 ? `a class index 0 .. ${model.outputs - 1}` : 'a finite number';
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `sample${describeIndex(sample)} is malformed: expected { x: ${model.features} finite numbers, y: ${target} }, got ${describeSample(sample)}`,
      );
    }
    const row = sample as Sample;
    this.samples++;
    return this.learnRow(row.x, 0, row.y);
  }

  private wellFormed(x: unknown, y: unknown): boolean {
    if (
      typeof y !== 'number' ||
      y - y !== 0 ||
      !this.validTarget(y) ||
      !isArrayLike(x) ||
      x.length !== this.model.features
    ) {
      return false;
    }
    // v - v is 0 for finite numbers and NaN otherwise; cheaper than Number.isFinite per entry.
    let poison = 0;
    for (let j = 0; j < x.length; j++) poison += (x[j] as number) - (x[j] as number);
    return poison === 0;
  }
}

/** One row of a batch as a sample, for an error message or a lenient policy. */
function batchRow(batch: SampleBatch, row: number): Sample {
  const features = batch.features;
  const x = Array.from(batch.x.subarray(row * features, (row + 1) * features));
  return { x, y: batch.y[row]!, index: batch.start + row };
}

function allFinite(x: ArrayLike<number>): boolean {
  let poison = 0;
  for (let j = 0; j < x.length; j++) poison += (x[j] as number) - (x[j] as number);
  return poison === 0;
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}
