import { blendConcepts } from './drift-blend.js';
import { StreamError } from './errors.js';
import { Random, type RandomState } from './random.js';

/** One training example: features `x` (no bias column) and target `y`. */
export interface Sample {
  /** Features; length is the source's `features`. */
  readonly x: readonly number[];
  /** Target: a real number (regression) or 0/1 (classification). */
  readonly y: number;
  /** 0-based position of the sample in its source, when the source counts (optional; only messages use it). */
  readonly index?: number;
}

/**
 * A block of consecutive samples in one emission (struct of arrays), for pipelines
 * that train in minibatches: one RxJS emission instead of `count`. Row `i` is the
 * sample of index `start + i`, bit for bit the same as the one-by-one stream.
 */
export interface SampleBatch {
  readonly kind: 'sample-batch';
  /** Features per row. */
  readonly features: number;
  /** Number of rows. */
  readonly count: number;
  /** Features, row-major: `x[i * features + j]`. */
  readonly x: Float64Array;
  /** Targets. */
  readonly y: Float64Array;
  /** Index of the first row in its source. */
  readonly start: number;
}

/** The seed's stream: `x ~ U(xMin, xMax)`, `y = intercept + slope * x + noise * N(0, 1)`. */
export interface LinearSpec {
  kind: 'linear';
  seed: number;
  intercept: number;
  slope: number;
  noise: number;
  xMin: number;
  xMax: number;
}

/** `x ~ N(0, I_d)`, `y = bias + weights · x + noise * N(0, 1)`. */
export interface MultilinearSpec {
  kind: 'multilinear';
  seed: number;
  bias: number;
  weights: number[];
  noise: number;
}

/** `x ~ N(0, I_d)`, `y ~ Bernoulli(sigmoid(bias + weights · x))`, or its sign when `separable`. */
export interface LogisticSpec {
  kind: 'logistic';
  seed: number;
  bias: number;
  weights: number[];
  separable: boolean;
}

/** A regression concept: intercept and weights. */
export interface Concept {
  bias: number;
  weights: number[];
}

/**
 * Concept drift (as River's `ConceptDriftStream`, for regression): the true
 * coefficients move from `concepts[k]` to `concepts[k + 1]` around `positions[k]`,
 * abruptly (`width` 0) or along a sigmoid `1 / (1 + exp(-4 (t - position) / width))`.
 * `x ~ U(xMin, xMax)^d`, `y = bias(t) + weights(t) · x + noise * N(0, 1)`.
 */
export interface DriftSpec {
  kind: 'drift';
  seed: number;
  concepts: Concept[];
  positions: number[];
  width: number;
  noise: number;
  xMin: number;
  xMax: number;
}

/** A complete, JSON-safe description of a synthetic source. */
export type SourceSpec = LinearSpec | MultilinearSpec | LogisticSpec | DriftSpec;

/** Where a generator is: its spec, how many samples it produced, and its PRNG. */
export interface GeneratorState {
  spec: SourceSpec;
  position: number;
  random: RandomState;
}

/** A pull-based, seeded sample generator: the engine under every source. */
export interface SampleGenerator {
  /** The fully resolved spec (defaults filled, seeded weights drawn). */
  readonly spec: SourceSpec;
  /** Number of features per sample. */
  readonly features: number;
  /** Samples produced so far. */
  readonly position: number;
  /** Produces the next sample. */
  next(): Sample;
  /** Produces the next `count` samples as one {@link SampleBatch}. */
  nextBatch(count: number): SampleBatch;
  /** @returns a snapshot from which {@link restoreGenerator} continues bit for bit. */
  state(): GeneratorState;
}

/** Options of the linear (seed) source; every field optional. */
export type LinearOptions = Partial<Omit<LinearSpec, 'kind'>>;
/** Options of the multilinear source: give `weights`, or `features` to draw them from the seed. */
export type MultilinearOptions = Partial<Omit<MultilinearSpec, 'kind'>> & { features?: number };
/** Options of the logistic source: give `weights`, or `features` to draw them from the seed. */
export type LogisticOptions = Partial<Omit<LogisticSpec, 'kind'>> & { features?: number };
/** Options of the drift source. */
export type DriftOptions = Partial<Omit<DriftSpec, 'kind'>>;

const DEFAULT_SEED = 42;

/** Fills defaults and validates: the seed's line unless told otherwise. */
export function linearSpec(options: LinearOptions = {}): LinearSpec {
  const spec: LinearSpec = {
    kind: 'linear',
    seed: options.seed ?? DEFAULT_SEED,
    intercept: options.intercept ?? 4,
    slope: options.slope ?? 3,
    noise: options.noise ?? 1,
    xMin: options.xMin ?? 0,
    xMax: options.xMax ?? 2,
  };
  checkCommon(spec);
  checkRange(spec.xMin, spec.xMax);
  finite('intercept', spec.intercept);
  finite('slope', spec.slope);
  return spec;
}

/** Fills defaults and validates; weights drawn from N(0, 1) with the seed when absent. */
export function multilinearSpec(options: MultilinearOptions = {}): MultilinearSpec {
  const seed = options.seed ?? DEFAULT_SEED;
  const spec: MultilinearSpec = {
    kind: 'multilinear',
    seed,
    bias: options.bias ?? 1,
    weights: options.weights ?? drawWeights(seed, options.features ?? 5),
    noise: options.noise ?? 0.1,
  };
  checkCommon(spec);
  checkWeights(spec.weights, options.features);
  finite('bias', spec.bias);
  return spec;
}

/** Fills defaults and validates; weights drawn from N(0, 1) (times 2) with the seed when absent. */
export function logisticSpec(options: LogisticOptions = {}): LogisticSpec {
  const seed = options.seed ?? DEFAULT_SEED;
  const spec: LogisticSpec = {
    kind: 'logistic',
    seed,
    bias: options.bias ?? 0,
    weights: options.weights ?? drawWeights(seed, options.features ?? 2).map((w) => 2 * w),
    separable: options.separable ?? false,
  };
  checkCommon(spec);
  checkWeights(spec.weights, options.features);
  finite('bias', spec.bias);
  if (typeof spec.separable !== 'boolean') throw new TypeError('separable must be true or false');
  return spec;
}

/** Fills defaults and validates: by default the seed line drifting to `y = 1 - 2x` at 5000. */
export function driftSpec(options: DriftOptions = {}): DriftSpec {
  const spec: DriftSpec = {
    kind: 'drift',
    seed: options.seed ?? DEFAULT_SEED,
    concepts: options.concepts ?? [
      { bias: 4, weights: [3] },
      { bias: 1, weights: [-2] },
    ],
    positions: options.positions ?? [5000],
    width: options.width ?? 0,
    noise: options.noise ?? 1,
    xMin: options.xMin ?? 0,
    xMax: options.xMax ?? 2,
  };
  checkCommon(spec);
  checkRange(spec.xMin, spec.xMax);
  if (!Array.isArray(spec.concepts) || spec.concepts.length < 1) {
    throw new TypeError('drift: concepts must be a non-empty array of { bias, weights }');
  }
  const d = spec.concepts[0]!.weights?.length;
  for (const c of spec.concepts) {
    finite('drift: concept bias', c.bias);
    checkWeights(c.weights, d);
  }
  if (!Array.isArray(spec.positions) || spec.positions.length !== spec.concepts.length - 1) {
    throw new RangeError(
      `drift: positions must hold one position per change (concepts.length - 1 = ${spec.concepts.length - 1}), got ${JSON.stringify(spec.positions)}`,
    );
  }
  spec.positions.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || (i > 0 && p <= spec.positions[i - 1]!)) {
      throw new RangeError('drift: positions must be increasing integers >= 0');
    }
  });
  if (!(Number.isFinite(spec.width) && spec.width >= 0)) {
    throw new RangeError(`drift: width must be a finite number >= 0, got ${spec.width}`);
  }
  return spec;
}

/**
 * Builds the generator a spec describes, from its start or from a saved state.
 *
 * @param spec - a resolved spec (from `linearSpec()` etc., or a generator's `spec`).
 * @returns a fresh generator at position 0.
 * @example
 * ```ts
 * import { createGenerator, linearSpec } from '@adamflow/stream';
 * const g = createGenerator(linearSpec({ seed: 7 }));
 * const sample = g.next(); // { x: [..], y: .., index: 0 }
 * ```
 */
export function createGenerator(spec: SourceSpec): SampleGenerator {
  return build(resolveSpec(spec), new Random(spec.seed), 0);
}

/**
 * Continues a generator from {@link SampleGenerator.state}, bit for bit.
 *
 * @param state - a generator state (JSON round-trips are fine).
 * @returns the generator, at `state.position`.
 * @throws StreamError `ADAMFLOW_ERR_CHECKPOINT_INVALID` when the state is not valid.
 */
export function restoreGenerator(state: GeneratorState): SampleGenerator {
  try {
    if (!Number.isInteger(state.position) || state.position < 0)
      throw new TypeError('bad position');
    return build(resolveSpec(state.spec), Random.fromState(state.random), state.position);
  } catch (error) {
    throw new StreamError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `restoreGenerator: not a valid generator state (${(error as Error).message}); pass what state() returned`,
    );
  }
}

/** Validates any spec by its kind, filling nothing that is not already there. */
export function resolveSpec(spec: SourceSpec): SourceSpec {
  if (spec === null || typeof spec !== 'object') {
    throw new TypeError(`source spec must be an object with a kind, got ${String(spec)}`);
  }
  switch (spec.kind) {
    case 'linear':
      return linearSpec(spec);
    case 'multilinear':
      return multilinearSpec(spec);
    case 'logistic':
      return logisticSpec(spec);
    case 'drift':
      return driftSpec(spec);
    default:
      throw new TypeError(
        `source kind must be 'linear', 'multilinear', 'logistic' or 'drift', got ${JSON.stringify((spec as { kind: unknown }).kind)}`,
      );
  }
}

function build(spec: SourceSpec, random: Random, start: number): SampleGenerator {
  switch (spec.kind) {
    case 'linear':
      return new LinearGenerator(spec, random, start);
    case 'multilinear':
      return new MultilinearGenerator(spec, random, start);
    case 'logistic':
      return new LogisticGenerator(spec, random, start);
    case 'drift':
      return new DriftGenerator(spec, random, start);
  }
}

/**
 * The machinery every kind shares. Each kind is its own class whose `draw` writes one
 * sample's features into a Float64Array and returns its target: one class per kind
 * keeps every call site monomorphic in a program that uses one kind, and drawing
 * straight into a batch's array (no intermediate row) is what makes `nextBatch`
 * cheap. The order of PRNG draws in each `draw` is the specification of its stream.
 */
abstract class Generator<S extends SourceSpec> implements SampleGenerator {
  protected at: number;
  // One sample's features, for next(): draw() always writes a Float64Array.
  private readonly row: Float64Array;
  // Batches are views into 64 KiB chunks: a small Float64Array of its own gets an
  // off-heap backing store, which cost more than drawing the samples. A chunk lives
  // as long as any batch that views it, so keeping batches is safe.
  private chunk = new Float64Array(0);
  private used = 0;

  constructor(
    readonly spec: S,
    readonly features: number,
    protected readonly random: Random,
    start: number,
  ) {
    this.at = start;
    this.row = new Float64Array(features);
  }

  get position(): number {
    return this.at;
  }

  /**
   * Writes the features of the sample at `position` into `out[offset..]` and returns
   * its target.
   */
  protected abstract draw(out: Float64Array, offset: number, position: number): number;

  next(): Sample {
    const row = this.row;
    const y = this.draw(row, 0, this.at);
    // A one-element literal is the cheapest array V8 makes; the seed's stream is the hot path.
    let x: number[];
    if (this.features === 1) x = [row[0]!];
    else {
      x = new Array<number>(this.features);
      for (let j = 0; j < this.features; j++) x[j] = row[j]!;
    }
    return { x, y, index: this.at++ };
  }

  nextBatch(count: number): SampleBatch {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`nextBatch: count must be a positive integer, got ${String(count)}`);
    }
    const first = this.at;
    const width = this.features;
    const x = this.carve(count * width);
    const y = this.carve(count);
    for (let i = 0; i < count; i++) y[i] = this.draw(x, i * width, first + i);
    this.at = first + count;
    return { kind: 'sample-batch', features: width, count, x, y, start: first };
  }

  state(): GeneratorState {
    return { spec: structuredClone(this.spec), position: this.at, random: this.random.state() };
  }

  private carve(length: number): Float64Array {
    if (this.used + length > this.chunk.length) {
      this.chunk = new Float64Array(Math.max(8192, length));
      this.used = 0;
    }
    this.used += length;
    // The constructor is several times cheaper than subarray() (no species lookup).
    return new Float64Array(this.chunk.buffer, (this.used - length) * 8, length);
  }
}

class LinearGenerator extends Generator<LinearSpec> {
  private readonly intercept: number;
  private readonly slope: number;
  private readonly noise: number;
  private readonly xMin: number;
  private readonly span: number;

  constructor(spec: LinearSpec, random: Random, start: number) {
    super(spec, 1, random, start);
    this.intercept = spec.intercept;
    this.slope = spec.slope;
    this.noise = spec.noise;
    this.xMin = spec.xMin;
    this.span = spec.xMax - spec.xMin;
  }

  protected draw(out: Float64Array, offset: number, _position: number): number {
    const x = this.xMin + this.span * this.random.uniform();
    out[offset] = x;
    return this.intercept + this.slope * x + this.noise * this.random.normal();
  }
}

class MultilinearGenerator extends Generator<MultilinearSpec> {
  constructor(spec: MultilinearSpec, random: Random, start: number) {
    super(spec, spec.weights.length, random, start);
  }

  protected draw(out: Float64Array, offset: number, _position: number): number {
    const { bias, weights, noise } = this.spec;
    const y = normalFeatures(this.random, bias, weights, out, offset);
    return y + noise * this.random.normal();
  }
}

class LogisticGenerator extends Generator<LogisticSpec> {
  constructor(spec: LogisticSpec, random: Random, start: number) {
    super(spec, spec.weights.length, random, start);
  }

  protected draw(out: Float64Array, offset: number, _position: number): number {
    const { bias, weights, separable } = this.spec;
    const z = normalFeatures(this.random, bias, weights, out, offset);
    // Always draw the label's uniform, so separable and noisy streams share x.
    const u = this.random.uniform();
    if (separable) return z > 0 ? 1 : 0;
    return u < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
}

class DriftGenerator extends Generator<DriftSpec> {
  private readonly span: number;
  // The current concept's weights, recomputed per sample (t moves along the sigmoid).
  private readonly w: Float64Array;

  constructor(spec: DriftSpec, random: Random, start: number) {
    super(spec, spec.concepts[0]!.weights.length, random, start);
    this.span = spec.xMax - spec.xMin;
    this.w = new Float64Array(this.features);
  }

  protected draw(out: Float64Array, offset: number, position: number): number {
    const { concepts, positions, width, noise, xMin } = this.spec;
    const w = this.w;
    let y = blendConcepts(concepts, positions, width, position, w);
    for (let j = 0; j < this.features; j++) {
      const xj = xMin + this.span * this.random.uniform();
      out[offset + j] = xj;
      y += w[j]! * xj;
    }
    return y + noise * this.random.normal();
  }
}

/**
 * Draws one feature vector x ~ N(0, I) into `out[offset..]`, in order, and returns
 * `bias + weights · x` (summed in the same order).
 */
function normalFeatures(
  random: Random,
  bias: number,
  weights: readonly number[],
  out: Float64Array,
  offset: number,
): number {
  let z = bias;
  for (let j = 0; j < weights.length; j++) {
    const xj = random.normal();
    out[offset + j] = xj;
    z += weights[j]! * xj;
  }
  return z;
}

function drawWeights(seed: number, features: number): number[] {
  if (!Number.isInteger(features) || features < 1 || features > 4096) {
    throw new RangeError(`features must be an integer in [1, 4096], got ${features}`);
  }
  // A separate stream (seed + a constant) keeps the samples independent of the weights.
  const random = new Random((seed ^ 0x5eed5eed) >>> 0);
  return Array.from({ length: features }, () => random.normal());
}

function checkCommon(spec: { seed: number; noise?: number }): void {
  if (!Number.isInteger(spec.seed)) {
    throw new TypeError(`seed must be an integer, got ${String(spec.seed)}`);
  }
  if (spec.noise !== undefined && !(Number.isFinite(spec.noise) && spec.noise >= 0)) {
    throw new RangeError(`noise must be a finite number >= 0, got ${String(spec.noise)}`);
  }
}

function checkRange(xMin: number, xMax: number): void {
  if (!(Number.isFinite(xMin) && Number.isFinite(xMax) && xMin < xMax)) {
    throw new RangeError(`xMin and xMax must be finite with xMin < xMax, got ${xMin} and ${xMax}`);
  }
}

function checkWeights(weights: unknown, features: number | undefined): void {
  if (!Array.isArray(weights) || weights.length === 0 || !weights.every(Number.isFinite)) {
    throw new TypeError('weights must be a non-empty array of finite numbers');
  }
  if (features !== undefined && weights.length !== features) {
    throw new RangeError(`weights has ${weights.length} entries but features is ${features}`);
  }
}

function finite(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number, got ${String(value)}`);
  }
}
