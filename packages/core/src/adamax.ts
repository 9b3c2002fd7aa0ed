import { type Backend, chooseKernel } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { KernelBinding } from './kernel-binding.js';
import { AdamaxFlag } from './kernel-flags.js';
import { Optimizer } from './optimizer.js';
import type { OptimizerKernel } from './optimizer-kernel.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup, ParamGroup } from './param-groups.js';
import { biasCorrection, type GradientScalars, gradientScalars } from './step-scalars.js';
import { nonNegativeFinite, oneOf, unitInterval } from './validate.js';

/** Options of {@link Adamax}. */
export interface AdamaxOptions extends CommonOptions {
  /** Decay rate of the first moment, in [0, 1); default 0.9. */
  beta1?: number;
  /** Decay rate of the infinity norm, in [0, 1); default 0.999. */
  beta2?: number;
  /** Added to `|g|` inside the running maximum (see `epsPlacement`), >= 0; default 1e-8. */
  eps?: number;
  /** Where `eps` goes: see {@link AdamaxEpsPlacement}; default `'inside-max'` (PyTorch). */
  epsPlacement?: AdamaxEpsPlacement;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<AdamaxOptions>[];
}

/**
 * Where Adamax adds `eps`, for porting trajectories from other libraries:
 * - `'inside-max'` (default): to `|g|` inside the running maximum,
 *   `u = max(beta2 * u, |g| + eps)`, `p -= stepSize * m / u`, as PyTorch does.
 * - `'outside-max'`: to `u` in the denominator, `u = max(beta2 * u, |g|)`,
 *   `p -= stepSize * m / (u + eps)`, as Keras and TensorFlow.js do.
 */
export type AdamaxEpsPlacement = 'inside-max' | 'outside-max';

const EPS_PLACEMENTS: readonly AdamaxEpsPlacement[] = ['inside-max', 'outside-max'];

/** The validated options an {@link Adamax} holds. */
export interface ResolvedAdamaxOptions extends ResolvedCommon {
  beta1: number;
  beta2: number;
  eps: number;
  epsPlacement: AdamaxEpsPlacement;
}

/** The per-step scalars of Adamax's fused pass. */
export interface AdamaxStepScalars extends GradientScalars {
  l2: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  eps: number;
  /** PyTorch's placement: `eps` inside the running maximum. */
  epsInside: boolean;
  /** `lr / (1 - beta1^t)`. */
  stepSize: number;
}

const ADAMAX_DEFAULTS: ResolvedAdamaxOptions = {
  lr: 2e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  epsPlacement: 'inside-max',
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/**
 * Adamax (Kingma & Ba, 2015, section 7.1), Adam with the infinity norm, with PyTorch's
 * `torch.optim.Adamax` semantics. For step `t = 1, 2, ...`, per element:
 *
 * ```text
 * g = maximize ? -g : g;  g = g + weightDecay * p        (L2)
 * m = beta1 * m + (1 - beta1) * g
 * u = max(beta2 * u, |g| + eps)
 * p = p - (lr / (1 - beta1^t)) * m / u
 * ```
 *
 * Where `eps` sits: inside the running maximum, added to `|g|`, as PyTorch has it
 * (the paper has no `eps`; Keras and TensorFlow.js add it to `u` in the denominator
 * instead: `epsPlacement: 'outside-max'`, see {@link AdamaxEpsPlacement}). It keeps
 * `u > 0` once a step has run, so the division is safe even for a zero gradient.
 *
 * @example
 * ```ts
 * import { Adamax } from '@adamflow/core';
 * const params = new Float64Array([1, -1]);
 * const opt = new Adamax(params, { lr: 0.01 });
 * opt.step([0.5, -0.25]);
 * ```
 */
export class Adamax extends Optimizer<AdamaxOptions, ResolvedAdamaxOptions, AdamaxStepScalars> {
  /** `'adamax'`. */
  get kind(): 'adamax' {
    return 'adamax';
  }
  /** First-moment estimates `m`. Read-only for callers. */
  readonly firstMoment: ParamArray;
  /** The exponentially weighted infinity norm `u`. Read-only for callers. */
  readonly infinityNorm: ParamArray;
  /** The WebAssembly state, when this optimizer runs on the SIMD kernel. */
  private readonly kernel: OptimizerKernel<'adamax'> | null;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link AdamaxOptions}; defaults lr 2e-3, beta1 0.9, beta2 0.999, eps 1e-8.
   * @param settings - `backend`: `'auto'` (the SIMD kernel from 32 parameters up), `'wasm'` or `'js'`.
   */
  constructor(params: ParamArray, options?: AdamaxOptions, settings: { backend?: Backend } = {}) {
    super(params, options, ADAMAX_DEFAULTS, ['beta1', 'beta2', 'eps', 'epsPlacement']);
    const kernel = chooseKernel('adamax', 'adamax', params, settings?.backend);
    this.kernel = kernel;
    this.binding = kernel ? new KernelBinding(kernel) : null;
    const Buffer = params.constructor as Float64ArrayConstructor | Float32ArrayConstructor;
    this.firstMoment = kernel ? kernel.buffers.firstMoment : new Buffer(params.length);
    this.infinityNorm = kernel ? kernel.buffers.infinityNorm : new Buffer(params.length);
  }

  protected resolve(merged: ResolvedAdamaxOptions): ResolvedAdamaxOptions {
    unitInterval('adamax: beta1', merged.beta1);
    unitInterval('adamax: beta2', merged.beta2);
    nonNegativeFinite('adamax: eps', merged.eps);
    oneOf('adamax: epsPlacement', merged.epsPlacement, EPS_PLACEMENTS);
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return { m: this.firstMoment, u: this.infinityNorm };
  }

  /**
   * This step's scalars for one set of options (the optimizer's, or a group's).
   */
  protected groupScalars(
    group: HeldGroup<ResolvedAdamaxOptions>,
    _k: number,
    scale: number,
  ): AdamaxStepScalars {
    const options = group.hyper;
    const lr = group.lr;
    const { beta1, beta2, eps, weightDecay } = options;
    return {
      ...gradientScalars(this.hyper.clipValue, options.maximize, scale),
      l2: weightDecay,
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      eps,
      epsInside: options.epsPlacement === 'inside-max',
      stepSize: lr / biasCorrection(beta1, this.t),
    };
  }

  protected override kernelStep(
    group: HeldGroup<ResolvedAdamaxOptions>,
    s: AdamaxStepScalars,
  ): void {
    const flags = (s.clip ? AdamaxFlag.clip : 0) | (s.l2 !== 0 ? AdamaxFlag.l2 : 0);
    // eps goes in one of two places: inside the running maximum or after it.
    this.kernel!.step(group.from, group.to, flags, [
      s.scale,
      s.bound,
      s.sign,
      s.l2,
      s.beta1,
      s.oneMinusBeta1,
      s.beta2,
      s.epsInside ? s.eps : 0,
      s.stepSize,
      s.epsInside ? 0 : s.eps,
    ]);
  }

  /**
   * The fused, allocation-free pass over parameters `[from, to)`.
   */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedAdamaxOptions>,
    s: AdamaxStepScalars,
  ): void {
    const { scale, clip, bound, sign, l2, beta1, oneMinusBeta1, beta2, eps, epsInside, stepSize } =
      s;
    const epsInMax = epsInside ? eps : 0;
    const epsAfter = epsInside ? 0 : eps;
    const p = this.params;
    const m = this.firstMoment;
    const u = this.infinityNorm;
    for (let i = group.from, to = group.to; i < to; i++) {
      let g = grad[i]! * scale;
      if (clip) {
        if (g > bound) g = bound;
        else if (g < -bound) g = -bound;
      }
      g *= sign;
      const pi = p[i]!;
      if (l2 !== 0) g += l2 * pi;
      const mi = beta1 * m[i]! + oneMinusBeta1 * g;
      // Math.max propagates NaN, as torch.amax does.
      const ui = Math.max(beta2 * u[i]!, Math.abs(g) + epsInMax);
      m[i] = mi;
      u[i] = ui;
      // PyTorch's addcdiv: (value * m) / u; adding a zero epsAfter leaves u exact.
      p[i] = pi - (stepSize * mi) / (ui + epsAfter);
    }
  }
}
