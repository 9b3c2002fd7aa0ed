import {
  AdamflowError,
  type CommonOptions,
  Optimizer,
  type OptimizerKind,
  type OptimizerState,
  type ParamArray,
  type ResolvedCommon,
  SGD,
} from '@adamflow/core';

/** The state of an {@link interceptSplit} optimizer: both parts' own snapshots. */
export interface InterceptSplitState {
  format: 'adamflow.optimizer';
  kind: 'intercept-split';
  interceptLr: number;
  intercept: OptimizerState;
  weights: OptimizerState;
}

/**
 * River's GLM step as one optimizer over `[bias, w1, …, wn]`: the weights
 * `params[1..]` are stepped by the optimizer the factory builds (over that subarray),
 * and the intercept `params[0]` by plain SGD at `interceptLr`
 * (`b ← b - interceptLr · g0`), each with its own state. A non-finite weight gradient
 * follows the weights optimizer's `nonFinite` policy and then leaves the intercept
 * untouched too. `state()` holds both parts.
 *
 * @param weights - builds the weights' optimizer over the subarray it is given.
 * @param interceptLr - the intercept's learning rate (River's `intercept_lr`, default 0.01 there).
 * @returns a factory for a `Learner`'s `optimizer` option.
 * @example
 * ```ts
 * import { SGD } from '@adamflow/core';
 * import { Learner, interceptSplit, logisticRegression } from '@adamflow/stream';
 * const learner = new Learner({
 *   model: logisticRegression({ features: 9 }),
 *   optimizer: interceptSplit((w) => new SGD(w, { lr: 0.1 }), 0.01),
 * });
 * ```
 */
export function interceptSplit(
  weights: (params: Float64Array) => Optimizer,
  interceptLr: number,
): (params: Float64Array) => Optimizer {
  if (typeof weights !== 'function') {
    throw new TypeError('interceptSplit: weights must be a factory (params) => Optimizer');
  }
  if (!(Number.isFinite(interceptLr) && interceptLr > 0)) {
    throw new RangeError(
      `interceptSplit: interceptLr must be a positive finite number, got ${String(interceptLr)}`,
    );
  }
  return (params) => new InterceptSplit(params, weights, interceptLr);
}

/**
 * Two core optimizers on disjoint subarrays, presented as one. It extends `Optimizer`
 * only so a `Learner` accepts it; every public method is delegated to the parts.
 */
class InterceptSplit extends Optimizer {
  private readonly weights: Optimizer;
  private readonly intercept: SGD;
  // Views of the last gradient buffer seen (the learner passes the same one each step).
  private lastGrad: ArrayLike<number> | null = null;
  private weightGrad: ArrayLike<number> = new Float64Array(0);
  private interceptGrad: ArrayLike<number> = new Float64Array(0);

  constructor(
    params: Float64Array,
    weights: (params: Float64Array) => Optimizer,
    readonly interceptLr: number,
  ) {
    if (!(params instanceof Float64Array) || params.length < 2) {
      throw new TypeError('interceptSplit: params must be a Float64Array [bias, ...weights]');
    }
    super(params, undefined, DEFAULTS, []);
    const tail = params.subarray(1);
    this.weights = weights(tail);
    if (!this.weights || this.weights.params !== tail) {
      throw new TypeError(
        'interceptSplit: the weights factory must return an optimizer over the subarray it was given',
      );
    }
    this.intercept = new SGD(params.subarray(0, 1), { lr: interceptLr });
  }

  /** The weights optimizer's kind (the intercept's is always SGD). */
  get kind(): OptimizerKind {
    return (this.weights as Optimizer | undefined)?.kind ?? 'sgd';
  }

  protected resolve(merged: ResolvedCommon): ResolvedCommon {
    return merged;
  }

  protected update(): void {}

  protected stateBuffers(): Record<string, ParamArray> {
    return {};
  }

  override get options(): Readonly<ResolvedCommon> {
    return this.weights.options;
  }

  override get stepCount(): number {
    return this.weights.stepCount;
  }

  override get skippedSteps(): number {
    return this.weights.skippedSteps;
  }

  override get lastLr(): number {
    return this.weights.lastLr;
  }

  override get lr(): number {
    return this.weights.lr;
  }

  override set(options: Partial<CommonOptions>): void {
    this.weights.set(options);
  }

  override step(grad: ArrayLike<number>): boolean {
    if (grad?.length !== this.params.length) {
      throw new RangeError(
        `intercept-split.step: grad has length ${grad?.length} but there are ${this.params.length} parameters`,
      );
    }
    if (grad !== this.lastGrad) this.split(grad);
    const g0 = grad[0]!;
    if (g0 - g0 !== 0 && this.weights.options.nonFinite !== 'propagate') {
      if (this.weights.options.nonFinite === 'skip') return false;
      throw new AdamflowError(
        'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
        'intercept-split.step: the intercept gradient is NaN or Infinity; nothing was changed',
      );
    }
    if (!this.weights.step(this.weightGrad)) return false;
    this.intercept.step(this.interceptGrad);
    return true;
  }

  private split(grad: ArrayLike<number>): void {
    const typed =
      grad instanceof Float64Array || grad instanceof Float32Array
        ? grad
        : Float64Array.from(grad as ArrayLike<number>);
    // A plain array is copied each time (only typed buffers are cached as views).
    this.lastGrad = typed === grad ? grad : null;
    this.weightGrad = typed.subarray(1);
    this.interceptGrad = typed.subarray(0, 1);
  }

  override reset(): void {
    this.weights.reset();
    this.intercept.reset();
  }

  override state(): OptimizerState {
    const state: InterceptSplitState = {
      format: 'adamflow.optimizer',
      kind: 'intercept-split',
      interceptLr: this.interceptLr,
      intercept: this.intercept.state(),
      weights: this.weights.state(),
    };
    // The learner stores it where a single optimizer's snapshot goes.
    return state as unknown as OptimizerState;
  }

  override loadState(snapshot: unknown): void {
    const s = snapshot as Partial<InterceptSplitState> | null;
    if (s?.kind !== 'intercept-split' || !s.intercept || !s.weights) {
      throw new AdamflowError(
        'ADAMFLOW_ERR_STATE_KIND',
        'loadState: not an intercept-split snapshot; restore it into interceptSplit(...) of the same kinds',
      );
    }
    // On a bad part, put both back as they were.
    const before = [this.weights.state(), this.intercept.state()] as const;
    try {
      this.weights.loadState(s.weights);
      this.intercept.loadState(s.intercept);
    } catch (error) {
      this.weights.loadState(before[0]);
      this.intercept.loadState(before[1]);
      throw error;
    }
  }
}

const DEFAULTS: ResolvedCommon = {
  lr: 1,
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};
