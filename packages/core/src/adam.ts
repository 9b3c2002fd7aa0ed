import { BiasCorrection } from './bias-correction.js';
import { type Backend, chooseKernel } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { KernelBinding } from './kernel-binding.js';
import { AdamFlag } from './kernel-flags.js';
import { Optimizer } from './optimizer.js';
import { OptimizerKernel } from './optimizer-kernel.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup, ParamGroup } from './param-groups.js';
import { boolean, nonNegativeFinite, oneOf, unitInterval } from './validate.js';

/** Options of {@link Adam} (and {@link AdamW}). */
export interface AdamOptions extends CommonOptions {
  /** Decay rate of the first moment, in [0, 1); default 0.9. */
  beta1?: number;
  /** Decay rate of the second moment, in [0, 1); default 0.999. */
  beta2?: number;
  /** Added to the denominator, >= 0; default 1e-8. */
  eps?: number;
  /** Keep the running maximum of the second moment (AMSGrad, PyTorch semantics); default false. */
  amsgrad?: boolean;
  /** Where `eps` goes: see {@link AdamEpsPlacement}; default `'after-correction'` (PyTorch). */
  epsPlacement?: AdamEpsPlacement;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<AdamOptions>[];
}

/**
 * Where Adam adds `eps`, for porting trajectories from other libraries:
 * - `'after-correction'` (default): to the bias-corrected `sqrt(v_hat)`, as PyTorch,
 *   TensorFlow.js and the paper's Algorithm 1 do:
 *   `p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`.
 * - `'epsilon-hat'`: to the uncorrected `sqrt(v)`, with the bias correction folded into
 *   the step size, as Keras, TensorFlow (`tf.keras`, `tf.compat.v1.train.AdamOptimizer`)
 *   and River do (the paper's "epsilon hat", just before its Section 2.1):
 *   `p -= (lr * sqrt(1 - beta2^t) / (1 - beta1^t)) * m / (sqrt(v) + eps)`.
 *
 * The two agree when `eps_hat = eps * sqrt(1 - beta2^t)`, which changes with `t`: the
 * same `eps` number acts far larger early in training under `'epsilon-hat'`. Set this
 * and those libraries' `eps` (Keras's default is 1e-7) to reproduce their runs.
 */
export type AdamEpsPlacement = 'after-correction' | 'epsilon-hat';

const EPS_PLACEMENTS: readonly AdamEpsPlacement[] = ['after-correction', 'epsilon-hat'];

/** The validated options an {@link Adam} holds. */
export interface ResolvedAdamOptions extends ResolvedCommon {
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
  epsPlacement: AdamEpsPlacement;
}

const ADAM_KEYS = ['beta1', 'beta2', 'eps', 'amsgrad', 'epsPlacement'];

/**
 * Where Adam's per-parameter work runs:
 * - `'auto'` (default): the WebAssembly SIMD kernel from {@link WASM_MIN_LENGTH}
 *   parameters up, where the platform has it; the JavaScript loop otherwise.
 * - `'wasm'`: always the kernel (throws where WebAssembly SIMD is missing).
 * - `'js'`: always the JavaScript loop.
 *
 * With the kernel, moments live in WebAssembly memory. Params you pass in are copied
 * in and out of it on each step (one read and one write of N more); to avoid those
 * copies, let the optimizer own the params with `Adam.allocate()` and write gradients
 * into `opt.gradient`.
 */
export type AdamBackend = Backend;

/** Settings fixed at construction (not hyperparameters; not in snapshots). */
export interface AdamSettings {
  /** See {@link AdamBackend}; default `'auto'`. */
  backend?: AdamBackend;
}

// Adam.allocate() hands its kernel to the constructor through this slot (synchronously).
let allocatedKernel: OptimizerKernel<'adam'> | undefined;

/** @internal */
export const ADAM_DEFAULTS: ResolvedAdamOptions = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  epsPlacement: 'after-correction',
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/**
 * Adam (Kingma & Ba, 2015) with PyTorch's `torch.optim.Adam` semantics, in one fused,
 * allocation-free pass over typed arrays.
 *
 * For step `t = 1, 2, ...` with gradient `g` (after clipping), per element:
 *
 * ```text
 * g  = maximize ? -g : g
 * g  = g + weightDecay * p                          (L2; AdamW decays p instead)
 * m  = beta1 * m + (1 - beta1) * g
 * v  = beta2 * v + (1 - beta2) * g * g
 * v' = amsgrad ? (vMax = max(vMax, v)) : v
 * p  = p - (lr / (1 - beta1^t)) * m / (sqrt(v') * (1 / sqrt(1 - beta2^t)) + eps)
 *      epsPlacement 'epsilon-hat' (Keras, TensorFlow, River):
 * p  = p - (lr * sqrt(1 - beta2^t) / (1 - beta1^t)) * m / (sqrt(v') + eps)
 * ```
 *
 * (PyTorch divides by `sqrt(1 - beta2^t)`; multiplying by its reciprocal, computed once
 * per step, saves a division per element and moves results by at most an ulp.)
 *
 * Where `eps` sits: by default it is added to `sqrt(v_hat)`, the bias-corrected root
 * second moment, exactly as in PyTorch, TensorFlow.js and the paper's Algorithm 1 (and
 * in the seed, which writes `m_hat / (sqrt(v_hat) + eps)`; the two are algebraically
 * equal, the form above saves a division per element). Keras, TensorFlow and River
 * instead fold the bias correction into the learning rate and add `eps` to the
 * *uncorrected* `sqrt(v)`, the paper's "epsilon hat":
 * `p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps_hat)`. That is the
 * same as ours with `eps = eps_hat / sqrt(1 - beta2^t)`, so early in training their
 * `eps` acts far larger. `epsPlacement: 'epsilon-hat'` computes their formula (see
 * {@link AdamEpsPlacement}); with the same `eps` number and the default placement the
 * trajectories differ.
 *
 * The per-step scalars (`1 - beta^t`, step size, `sqrt`) are computed once per step;
 * in float32 the arithmetic is done in float64 and rounded when stored.
 *
 * @example
 * ```ts
 * import { Adam } from '@adamflow/core';
 * const params = new Float64Array([-0.354, -1.375]);
 * const opt = new Adam(params, { lr: 0.1 });
 * for (let i = 0; i < 1000; i++) {
 *   // gradient of (p0 - 4)^2 + (p1 - 3)^2
 *   opt.step([2 * (params[0]! - 4), 2 * (params[1]! - 3)]);
 * }
 * // params ≈ [4, 3]
 * ```
 */
export class Adam extends Optimizer<AdamOptions, ResolvedAdamOptions, AdamStepScalars> {
  /** `'adam'` (a getter, so it is known while the base constructor validates). */
  get kind(): 'adam' | 'adamw' {
    return 'adam';
  }
  /** First-moment estimates `m`, same length and type as params. Read-only for callers. */
  readonly firstMoment: ParamArray;
  /** Second-moment estimates `v`. Read-only for callers. */
  readonly secondMoment: ParamArray;
  /** AMSGrad's running maximum of `v` (zeros while `amsgrad` is off). Read-only for callers. */
  readonly maxSecondMoment: ParamArray;
  /** True in AdamW: weight decay multiplies params instead of adding to the gradient. */
  protected get decoupled(): boolean {
    return false;
  }

  /** The WebAssembly state, when this optimizer runs on the SIMD kernel. */
  private readonly kernel: OptimizerKernel<'adam'> | null;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link AdamOptions}; defaults lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8.
   * @param settings - {@link AdamSettings}: which backend runs the step.
   */
  constructor(params: ParamArray, options?: AdamOptions, settings: AdamSettings = {}) {
    super(params, options, ADAM_DEFAULTS, ADAM_KEYS);
    const kernel = allocatedKernel ?? chooseKernel('adam', this.kind, params, settings?.backend);
    allocatedKernel = undefined;
    this.kernel = kernel;
    this.binding = kernel ? new KernelBinding(kernel) : null;
    if (kernel) {
      this.firstMoment = kernel.buffers.firstMoment;
      this.secondMoment = kernel.buffers.secondMoment;
      this.maxSecondMoment = kernel.buffers.maxSecondMoment;
    } else {
      const Buffer = params.constructor as Float64ArrayConstructor | Float32ArrayConstructor;
      this.firstMoment = new Buffer(params.length);
      this.secondMoment = new Buffer(params.length);
      this.maxSecondMoment = new Buffer(params.length);
    }
  }

  /**
   * An optimizer that owns its parameters in WebAssembly memory: no copy per step.
   * Write the gradient into `opt.gradient` and call `opt.step(opt.gradient)`. The
   * memory is sized once and never grows, so `params`, `gradient` and the moment
   * views stay valid for the optimizer's whole life.
   *
   * @param length - number of parameters (zeros; set them through `opt.params`).
   * @param options - as for the constructor.
   * @param dtype - `'float32'` (f32x4 lanes, default) or `'float64'` (f64x2).
   * @returns the optimizer (falls back to plain arrays where WebAssembly SIMD is missing).
   * @example
   * ```ts
   * import { Adam } from '@adamflow/core';
   * const opt = Adam.allocate(1_000_000, { lr: 1e-3 });
   * opt.params.fill(0.5);
   * computeGradientInto(opt.gradient!, opt.params);
   * opt.step(opt.gradient!);
   * ```
   */
  static allocate<T extends Adam>(
    this: new (
      params: ParamArray,
      options?: AdamOptions,
      settings?: AdamSettings,
    ) => T,
    length: number,
    options?: AdamOptions,
    dtype: 'float32' | 'float64' = 'float32',
  ): T {
    if (!Number.isInteger(length) || length < 1) {
      throw new RangeError(`allocate: length must be a positive integer, got ${String(length)}`);
    }
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new TypeError(`allocate: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
    }
    const kernel = OptimizerKernel.create('adam', length, dtype === 'float64');
    if (!kernel)
      return new this(
        dtype === 'float64' ? new Float64Array(length) : new Float32Array(length),
        options,
      );
    allocatedKernel = kernel;
    try {
      return new this(kernel.params, options);
    } finally {
      allocatedKernel = undefined;
    }
  }

  /**
   * A gradient buffer inside WebAssembly memory (null on the JS backend): write the
   * gradient here and pass it to `step()` to skip the copy in.
   */
  get gradient(): ParamArray | null {
    return this.kernel ? this.kernel.gradient : null;
  }

  protected resolve(merged: ResolvedAdamOptions): ResolvedAdamOptions {
    const name = this.kind;
    unitInterval(`${name}: beta1`, merged.beta1);
    unitInterval(`${name}: beta2`, merged.beta2);
    nonNegativeFinite(`${name}: eps`, merged.eps);
    boolean(`${name}: amsgrad`, merged.amsgrad);
    oneOf(`${name}: epsPlacement`, merged.epsPlacement, EPS_PLACEMENTS);
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return { m: this.firstMoment, v: this.secondMoment, vMax: this.maxSecondMoment };
  }

  // Two per group, one per moment; see BiasCorrection for why they remember saturation.
  private readonly corrections = Array.from(
    { length: 2 * this.groupList.length },
    () => new BiasCorrection(),
  );

  /** Per-step scalars, once per group (PyTorch's order of operations, for exactness). */
  protected groupScalars(
    group: HeldGroup<ResolvedAdamOptions>,
    k: number,
    scale: number,
  ): AdamStepScalars {
    const { beta1, beta2, epsPlacement } = group.hyper;
    const t = this.t;
    // The saturated case is tested inline: a method call here costs as much as the update.
    const c1 = this.corrections[2 * k]!;
    const c2 = this.corrections[2 * k + 1]!;
    const bias1 = t >= c1.saturatedAt && beta1 === c1.beta ? 1 : c1.at(beta1, t);
    const bias2 = t >= c2.saturatedAt && beta2 === c2.beta ? 1 : c2.at(beta2, t);
    return stepScalars(scale, group.lr, bias1, bias2, epsPlacement);
  }

  /** One group's fused pass over its range, in JavaScript. */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedAdamOptions>,
    { scale, stepSize, invBias2Sqrt }: AdamStepScalars,
  ): void {
    const { beta1, beta2, eps, weightDecay, amsgrad, maximize } = group.hyper;
    const clipValue = this.hyper.clipValue;
    const lr = group.lr;
    const p = this.params;
    const m = this.firstMoment;
    const v = this.secondMoment;
    const vMax = this.maxSecondMoment;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const l2 = this.decoupled ? 0 : weightDecay;
    const decay = this.decoupled ? 1 - lr * weightDecay : 1;
    const applyDecay = this.decoupled && weightDecay !== 0;
    const sign = maximize ? -1 : 1;
    // Clamping only when asked: even a no-op clamp against Infinity costs ~3 ns a parameter.
    const clip = clipValue !== null;
    const bound = clipValue ?? 0;
    for (let i = group.from, to = group.to; i < to; i++) {
      // scale and sign are exactly ±1 unless clipping/maximize are on, so these are exact.
      let g = grad[i]! * scale;
      if (clip) {
        if (g > bound) g = bound;
        else if (g < -bound) g = -bound;
      }
      g *= sign;
      let pi = p[i]!;
      if (applyDecay) pi *= decay;
      if (l2 !== 0) g += l2 * pi;
      const mi = beta1 * m[i]! + oneMinusBeta1 * g;
      const vi = beta2 * v[i]! + oneMinusBeta2 * g * g;
      m[i] = mi;
      v[i] = vi;
      let vHat = vi;
      if (amsgrad) {
        // Math.max propagates NaN, as torch.maximum does.
        vHat = Math.max(vMax[i]!, vi);
        vMax[i] = vHat;
      }
      p[i] = pi - (stepSize * mi) / (Math.sqrt(vHat) * invBias2Sqrt + eps);
    }
  }

  /** The same pass on the SIMD kernel, with the same per-step scalars. */
  protected override kernelStep(
    group: HeldGroup<ResolvedAdamOptions>,
    { scale, stepSize, invBias2Sqrt }: AdamStepScalars,
  ): void {
    const { beta1, beta2, eps, weightDecay, amsgrad, maximize } = group.hyper;
    const clipValue = this.hyper.clipValue;
    const decoupled = this.decoupled;
    let flags = 0;
    if (clipValue !== null) flags |= AdamFlag.clip;
    if (!decoupled && weightDecay !== 0) flags |= AdamFlag.l2;
    if (decoupled && weightDecay !== 0) flags |= AdamFlag.decoupled;
    if (amsgrad) flags |= AdamFlag.amsgrad;
    this.kernel!.step(group.from, group.to, flags, [
      scale,
      clipValue ?? 0,
      maximize ? -1 : 1,
      decoupled ? 1 - group.lr * weightDecay : 1,
      decoupled ? 0 : weightDecay,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      stepSize,
      invBias2Sqrt,
      eps,
    ]);
  }
}

/** The per-step scalars of Adam's fused pass. */
export interface AdamStepScalars {
  /** The global-norm clipping factor. */
  scale: number;
  stepSize: number;
  /** The factor on `sqrt(v)`. */
  invBias2Sqrt: number;
}

// Reused by every step: the per-step scalars without an allocation per step.
const scalars: AdamStepScalars = { scale: 1, stepSize: 0, invBias2Sqrt: 0 };

/**
 * The step size and the factor on `sqrt(v)` for one step. After correction:
 * `lr / bias1` and `1 / sqrt(bias2)` (one division per step instead of one per element,
 * see kernel/optimizers.wat). Epsilon hat: Keras's `lr * sqrt(bias2) / bias1`, in its
 * order, and exactly 1, so the denominator is the uncorrected `sqrt(v) + eps`.
 */
function stepScalars(
  scale: number,
  lr: number,
  bias1: number,
  bias2: number,
  placement: AdamEpsPlacement,
): AdamStepScalars {
  scalars.scale = scale;
  if (placement === 'epsilon-hat') {
    scalars.stepSize = (lr * Math.sqrt(bias2)) / bias1;
    scalars.invBias2Sqrt = 1;
  } else {
    scalars.stepSize = lr / bias1;
    scalars.invBias2Sqrt = 1 / Math.sqrt(bias2);
  }
  return scalars;
}
