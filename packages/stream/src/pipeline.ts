import { createOptimizer, type OptimizerName, optimizerNames } from '@adamflow/core';
import type { ModelSpec } from './create-model.js';
import type { Row } from './data/row.js';
import { StreamError } from './errors.js';
import { Learner, type LearnerState } from './learner.js';
import type { OptimizerSpec } from './learner-options.js';
import { predictedClass } from './metrics/metric.js';
import type { Model } from './model.js';
import { partitioned } from './partitioned.js';
import type { Json, Stage, StageSpec } from './preprocessing/stage.js';

/**
 * An optimizer by registry name with its options (no demo defaults: `sgd` is plain
 * SGD unless `momentum` is given), optionally with River's separate intercept step.
 */
export interface OptimizerChoice {
  /** A `@adamflow/core` registry name. */
  name: OptimizerName;
  /** Its options, e.g. `{ lr: 0.1 }` or `{ lr: 0.1, epsPlacement: 'epsilon-hat' }`. */
  options?: { [key: string]: number | boolean | string };
  /**
   * Step the intercept (`params[0]`) apart by plain SGD at this rate (River's
   * `intercept_lr`): the optimizer becomes a {@link partitioned} one, the named
   * optimizer over `params[1..]`.
   */
  interceptLr?: number;
}

/** Options of {@link pipeline}. */
export interface PipelineOptions {
  /** Values per raw row (`row.x.length`). */
  inputs: number;
  /** Preprocessing stages, applied in order. */
  stages?: readonly StageSpec[];
  /** The model over the last stage's output: a model, or a function of that width. */
  model: Model | ((features: number) => Model);
  /** The optimizer: a registry choice (saved in checkpoints) or a learner's factory. */
  optimizer: OptimizerChoice | OptimizerSpec;
  /** The learner's rolling-metrics window; default 100. */
  window?: number;
}

/** What a pipeline is, as saved in a checkpoint: enough to build it again. */
export interface PipelineDescription {
  inputs: number;
  stages: { kind: string; options: { [key: string]: Json } }[];
  /** `spec` is the built-in model's own (`createModel(spec)` builds it again). */
  model: { kind: string; features: number; spec?: ModelSpec };
  /** Null when the optimizer was a factory (pass it again on restore). */
  optimizer: OptimizerChoice | null;
}

/** The trained state of a pipeline. */
export interface PipelineState {
  stages: Json[];
  learner: LearnerState;
}

/**
 * River's `compose.Pipeline` for per-sample learning: preprocessing stages, then a
 * {@link Learner}. A learning step follows River's order: the row is scored with the
 * pipeline as it stands (the returned prediction, what progressive validation
 * scores), then each stage learns from its input and passes on its transform with the
 * updated statistics, then the model learns from that re-transformed row.
 * `predict`/`predictProba` transform without learning.
 *
 * @param options - {@link PipelineOptions}.
 * @returns the pipeline.
 * @example
 * ```ts
 * import { logisticRegression, pipeline, standardScaler } from '@adamflow/stream';
 * const model = pipeline({
 *   inputs: 2,
 *   stages: [standardScaler()],
 *   model: (features) => logisticRegression({ features }),
 *   optimizer: { name: 'sgd', options: { lr: 0.1 }, interceptLr: 0.01 },
 * });
 * model.learn({ x: [1, 2], y: 1 });
 * model.predictProba([1, 2]); // P(y = 1)
 * ```
 */
export function pipeline(options: PipelineOptions): Pipeline {
  return new Pipeline(options);
}

/** See {@link pipeline}. */
export class Pipeline {
  /** The built stages. */
  readonly stages: readonly Stage[];
  /** The learner after the stages. */
  readonly learner: Learner;
  /** Raw values per row. */
  readonly inputs: number;
  private readonly choice: OptimizerChoice | null;
  private readonly specs: readonly StageSpec[];
  // One output buffer per stage, reused for every row.
  private readonly buffers: Float64Array[];
  private readonly sample: { x: Float64Array; y: number };
  // With K classes, the probabilities of the row last scored (what metrics score).
  private readonly proba: Float64Array | null;

  /** @param options - {@link PipelineOptions}. */
  constructor(options: PipelineOptions) {
    const inputs = options?.inputs;
    if (!Number.isInteger(inputs) || inputs < 1) {
      throw new RangeError(`pipeline: inputs must be a positive integer, got ${String(inputs)}`);
    }
    this.inputs = inputs;
    this.specs = [...(options.stages ?? [])];
    const stages: Stage[] = [];
    let width = inputs;
    for (const spec of this.specs) {
      const stage = spec.build(width);
      stages.push(stage);
      width = stage.outputs;
    }
    this.stages = stages;
    const model = typeof options.model === 'function' ? options.model(width) : options.model;
    if (model?.features !== width) {
      throw new RangeError(
        `pipeline: the model takes ${String(model?.features)} features but the stages output ${width}; pass model: (features) => ...`,
      );
    }
    const optimizer = options.optimizer;
    this.choice = typeof optimizer === 'object' && optimizer !== null ? { ...optimizer } : null;
    this.learner = new Learner({
      model,
      optimizer: this.choice ? optimizerFrom(this.choice) : (optimizer as OptimizerSpec),
      ...(options.window === undefined ? {} : { window: options.window }),
    });
    this.buffers = stages.map((s) => new Float64Array(s.outputs));
    this.sample = { x: new Float64Array(width), y: 0 };
    this.proba = model.outputs > 1 ? new Float64Array(model.outputs) : null;
  }

  /**
   * With K classes, the K class probabilities of the row last scored by
   * {@link Pipeline.learn} or {@link Pipeline.score} (before it was learned), overwritten
   * by the next; `null` for a one-output model. This, not the class index `learn`
   * returns, is what the classification metrics take for K classes.
   */
  get probabilities(): Float64Array | null {
    return this.proba;
  }

  /** The model. */
  get model(): Model {
    return this.learner.model;
  }

  /** The parameters (bias first for the linear models), updated in place. */
  get params(): Float64Array {
    return this.learner.params;
  }

  /**
   * One learning step in River's order (score, stages learn, model learns). A row whose
   * target the model's `checkTarget` refuses (a negative count for Poisson regression)
   * throws `ADAMFLOW_ERR_MALFORMED_SAMPLE` naming the row before anything learns.
   *
   * @param row - raw features and target.
   * @returns the model's output for `row` *before* learning from it (P(y = 1) for a
   *   binary classifier): what progressive validation scores.
   */
  learn(row: Row): number {
    const x = row?.x;
    if (x == null || x.length !== this.inputs) {
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `pipeline: row${row?.index === undefined ? '' : ` ${row.index}`} has ${String(x?.length)} features, expected ${this.inputs}`,
      );
    }
    const needed = this.learner.model.checkTarget?.(row.y) ?? null;
    if (needed !== null) {
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `pipeline: row${row.index === undefined ? '' : ` ${row.index}`} has target ${String(row.y)}, but ${this.learner.model.kind} needs ${needed}`,
      );
    }
    const prediction = this.score(x);
    if (typeof row.y !== 'number' || row.y - row.y !== 0) {
      // The learner refuses (or, by its policy, skips) a target that is not a finite
      // number; the stages must not have learned from that row first.
      this.learner.learn({ x: this.transform(x) as number[], y: row.y });
      return prediction;
    }
    let input: ArrayLike<number | string> = x;
    for (let i = 0; i < this.stages.length; i++) {
      const stage = this.stages[i]!;
      stage.learn(input);
      stage.transform(input, this.buffers[i]!);
      input = this.buffers[i]!;
    }
    const sample = this.sample;
    if (input !== sample.x) sample.x.set(input as Float64Array | number[]);
    sample.y = row.y;
    this.learner.learn(sample as unknown as { x: number[]; y: number });
    return prediction;
  }

  /**
   * @param x - raw features.
   * @returns the model's raw output (a regression value, or P(y = 1) for a binary
   *   classifier; the most probable class with K classes), by the learner's
   *   `predict`/`predictProba`.
   */
  score(x: ArrayLike<number | string>): number {
    const features = this.transform(x);
    const model = this.learner.model;
    if (model.task === 'classification' && model.outputs === 1) {
      return this.learner.predictProba(features) as number;
    }
    if (this.proba === null) return this.learner.predict(features);
    this.learner.predictProba(features, this.proba);
    return predictedClass(this.proba);
  }

  /**
   * @param x - raw features.
   * @returns the prediction: a value (regression) or a class, 1 when P(y = 1) > 0.5
   *   (classification; the most probable class with K classes), by `Learner.predict`.
   */
  predict(x: ArrayLike<number | string>): number {
    return this.learner.predict(this.transform(x));
  }

  /**
   * @param x - raw features.
   * @param into - optional: where to write the K class probabilities.
   * @returns P(y = 1) for a binary classifier; the K class probabilities for K classes.
   */
  predictProba(x: ArrayLike<number | string>, into?: Float64Array): number | Float64Array {
    return this.learner.predictProba(this.transform(x), into);
  }

  /** The stages' transform of raw `x` with the current statistics (a buffer reused per call). */
  private transform(x: ArrayLike<number | string>): ArrayLike<number> {
    if (x?.length !== this.inputs) {
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `pipeline: ${String(x?.length)} features, expected ${this.inputs}`,
      );
    }
    let input: ArrayLike<number | string> = x;
    for (let i = 0; i < this.stages.length; i++) {
      this.stages[i]!.transform(input, this.buffers[i]!);
      input = this.buffers[i]!;
    }
    return input as ArrayLike<number>;
  }

  /** @returns what the pipeline is, JSON-safe (see {@link PipelineDescription}). */
  describe(): PipelineDescription {
    return {
      inputs: this.inputs,
      stages: this.specs.map((s) => ({ kind: s.kind, options: s.options })),
      model: {
        kind: this.model.kind,
        features: this.model.features,
        ...(this.model.spec === undefined ? {} : { spec: this.model.spec }),
      },
      optimizer: this.choice,
    };
  }

  /** @returns the trained state, JSON-safe. */
  state(): PipelineState {
    return { stages: this.stages.map((s) => s.state()), learner: this.learner.state() };
  }

  /** Restores {@link Pipeline.state} into a pipeline built from the same description. */
  loadState(state: PipelineState): void {
    if (!Array.isArray(state?.stages) || state.stages.length !== this.stages.length) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        `pipeline state: expected ${this.stages.length} stage states`,
      );
    }
    const before = this.state();
    try {
      for (let i = 0; i < this.stages.length; i++) this.stages[i]!.loadState(state.stages[i]!);
      this.learner.loadState(state.learner);
    } catch (error) {
      for (let i = 0; i < this.stages.length; i++) this.stages[i]!.loadState(before.stages[i]!);
      this.learner.loadState(before.learner);
      throw error;
    }
  }
}

/** The learner's optimizer factory for a registry choice. */
function optimizerFrom(choice: OptimizerChoice): OptimizerSpec {
  if (!optimizerNames.includes(choice.name)) {
    throw new TypeError(
      `optimizer.name must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(choice.name)}`,
    );
  }
  const build = (params: Float64Array) => createOptimizer(choice.name, params, choice.options);
  if (choice.interceptLr === undefined) return build;
  const interceptLr = choice.interceptLr;
  if (!(Number.isFinite(interceptLr) && interceptLr > 0)) {
    throw new RangeError(
      `optimizer.interceptLr must be a positive finite number, got ${String(interceptLr)}`,
    );
  }
  // River's GLM: the weights by the chosen optimizer, the intercept by plain SGD.
  return partitioned({
    intercept: { range: [0, 1], optimizer: 'sgd', lr: interceptLr },
    weights: { range: [1], optimizer: build },
  });
}
