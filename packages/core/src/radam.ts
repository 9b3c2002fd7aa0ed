import { type Backend, chooseKernel } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { KernelBinding } from './kernel-binding.js';
import { RAdamFlag } from './kernel-flags.js';
import { Optimizer } from './optimizer.js';
import type { OptimizerKernel } from './optimizer-kernel.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup, ParamGroup } from './param-groups.js';
import {
  biasCorrection,
  gradientScalars,
  type MomentScalars,
  momentFlags,
  momentKernelScalars,
} from './step-scalars.js';
import { boolean, nonNegativeFinite, unitInterval } from './validate.js';

/** Options of {@link RAdam}. */
export interface RAdamOptions extends CommonOptions {
  /** Decay rate of the first moment, in [0, 1); default 0.9. */
  beta1?: number;
  /** Decay rate of the second moment, in [0, 1); default 0.999. */
  beta2?: number;
  /** Added to the uncorrected `sqrt(v)`, >= 0; default 1e-8. */
  eps?: number;
  /** Decay params by `1 - lr * weightDecay` (as AdamW) instead of adding L2 to the gradient; default false. */
  decoupledWeightDecay?: boolean;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<RAdamOptions>[];
}

/** The validated options a {@link RAdam} holds. */
export interface ResolvedRAdamOptions extends ResolvedCommon {
  beta1: number;
  beta2: number;
  eps: number;
  decoupledWeightDecay: boolean;
}

/** The per-step scalars of RAdam's fused pass. */
export interface RAdamStepScalars extends MomentScalars {
  eps: number;
  /** Whether this step is rectified (`rho_t > 5`): the adaptive step, else plain momentum. */
  rectified: boolean;
  /** Rectified: `lr * r_t * sqrt(1 - beta2^t) / (1 - beta1^t)`; else `lr / (1 - beta1^t)`. */
  stepSize: number;
}

const RADAM_DEFAULTS: ResolvedRAdamOptions = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  decoupledWeightDecay: false,
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/**
 * RAdam (Liu et al., 2020), Adam with the variance of the adaptive rate rectified,
 * with PyTorch's `torch.optim.RAdam` semantics. For step `t = 1, 2, ...`:
 *
 * ```text
 * rho_inf = 2 / (1 - beta2) - 1
 * rho_t   = rho_inf - 2 * t * beta2^t / (1 - beta2^t)
 * r_t     = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
 * ```
 *
 * then per element:
 *
 * ```text
 * g = maximize ? -g : g
 * decoupledWeightDecay ? p = p * (1 - lr * weightDecay)    (as AdamW)
 *                      : g = g + weightDecay * p           (L2)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * rho_t > 5 ? p = p - (lr * r_t * sqrt(1 - beta2^t) / (1 - beta1^t)) * m / (sqrt(v) + eps)
 *           : p = p - (lr / (1 - beta1^t)) * m
 * ```
 *
 * Where `eps` sits: added to the *uncorrected* `sqrt(v)`, as PyTorch has it (unlike its
 * Adam, where `eps` is added after the bias correction: Keras's "epsilon hat"). PyTorch
 * computes `m / (1 - beta1^t) * lr * (sqrt(1 - beta2^t) / (sqrt(v) + eps)) * r_t` per
 * element; folding the scalars into one step size, once per step, moves results by an
 * ulp or so. `decoupledWeightDecay` is PyTorch >= 2.1's `decoupled_weight_decay`.
 *
 * @example
 * ```ts
 * import { RAdam } from '@adamflow/core';
 * const params = new Float64Array([1, -1]);
 * const opt = new RAdam(params, { lr: 0.01, decoupledWeightDecay: true, weightDecay: 0.01 });
 * opt.step([0.5, -0.25]);
 * ```
 */
export class RAdam extends Optimizer<RAdamOptions, ResolvedRAdamOptions, RAdamStepScalars> {
  /** `'radam'`. */
  get kind(): 'radam' {
    return 'radam';
  }
  /** First-moment estimates `m`. Read-only for callers. */
  readonly firstMoment: ParamArray;
  /** Second-moment estimates `v`. Read-only for callers. */
  readonly secondMoment: ParamArray;
  /** The WebAssembly state, when this optimizer runs on the SIMD kernel. */
  private readonly kernel: OptimizerKernel<'radam'> | null;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link RAdamOptions}; defaults lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8.
   * @param settings - `backend`: `'auto'` (the SIMD kernel from 32 parameters up), `'wasm'` or `'js'`.
   */
  constructor(params: ParamArray, options?: RAdamOptions, settings: { backend?: Backend } = {}) {
    super(params, options, RADAM_DEFAULTS, ['beta1', 'beta2', 'eps', 'decoupledWeightDecay']);
    const kernel = chooseKernel('radam', 'radam', params, settings?.backend);
    this.kernel = kernel;
    this.binding = kernel ? new KernelBinding(kernel) : null;
    const Buffer = params.constructor as Float64ArrayConstructor | Float32ArrayConstructor;
    this.firstMoment = kernel ? kernel.buffers.firstMoment : new Buffer(params.length);
    this.secondMoment = kernel ? kernel.buffers.secondMoment : new Buffer(params.length);
  }

  protected resolve(merged: ResolvedRAdamOptions): ResolvedRAdamOptions {
    unitInterval('radam: beta1', merged.beta1);
    unitInterval('radam: beta2', merged.beta2);
    nonNegativeFinite('radam: eps', merged.eps);
    boolean('radam: decoupledWeightDecay', merged.decoupledWeightDecay);
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return { m: this.firstMoment, v: this.secondMoment };
  }

  /** This step's scalars for one set of options (the optimizer's, or a group's). */
  protected groupScalars(
    group: HeldGroup<ResolvedRAdamOptions>,
    _k: number,
    scale: number,
  ): RAdamStepScalars {
    const options = group.hyper;
    const lr = group.lr;
    const { beta1, beta2, eps, weightDecay, decoupledWeightDecay } = options;
    const t = this.t;
    const bias1 = biasCorrection(beta1, t);
    const bias2 = biasCorrection(beta2, t);
    // PyTorch's expressions, term for term.
    const rhoInf = 2 / (1 - beta2) - 1;
    const rhoT = rhoInf - (2 * t * beta2 ** t) / bias2;
    const rectified = rhoT > 5;
    let stepSize = lr / bias1;
    if (rectified) {
      const rect = Math.sqrt(
        ((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT),
      );
      stepSize = (lr * rect * Math.sqrt(bias2)) / bias1;
    }
    return {
      ...gradientScalars(this.hyper.clipValue, options.maximize, scale),
      l2: decoupledWeightDecay ? 0 : weightDecay,
      decay: decoupledWeightDecay ? 1 - lr * weightDecay : 1,
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      eps,
      rectified,
      stepSize,
    };
  }

  protected override kernelStep(group: HeldGroup<ResolvedRAdamOptions>, s: RAdamStepScalars): void {
    const flags = momentFlags(s) | (s.rectified ? RAdamFlag.rectified : 0);
    this.kernel!.step(group.from, group.to, flags, momentKernelScalars(s, [s.eps, s.stepSize]));
  }

  /** The fused, allocation-free pass over parameters `[from, to)`. */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedRAdamOptions>,
    s: RAdamStepScalars,
  ): void {
    const { scale, clip, bound, sign, l2, decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2 } = s;
    const { eps, rectified, stepSize } = s;
    const p = this.params;
    const m = this.firstMoment;
    const v = this.secondMoment;
    for (let i = group.from, to = group.to; i < to; i++) {
      let g = grad[i]! * scale;
      if (clip) {
        if (g > bound) g = bound;
        else if (g < -bound) g = -bound;
      }
      g *= sign;
      // decay is exactly 1 and l2 exactly 0 unless asked for, so these are exact no-ops.
      const pi = p[i]! * decay;
      if (l2 !== 0) g += l2 * pi;
      const mi = beta1 * m[i]! + oneMinusBeta1 * g;
      const vi = beta2 * v[i]! + oneMinusBeta2 * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] = rectified ? pi - (stepSize * mi) / (Math.sqrt(vi) + eps) : pi - stepSize * mi;
    }
  }
}
