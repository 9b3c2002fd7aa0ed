import { type Backend, chooseKernel } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { KernelBinding } from './kernel-binding.js';
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

/** Options of {@link NAdam}. */
export interface NAdamOptions extends CommonOptions {
  /** Decay rate of the first moment, in [0, 1); default 0.9. */
  beta1?: number;
  /** Decay rate of the second moment, in [0, 1); default 0.999. */
  beta2?: number;
  /** Added to the bias-corrected `sqrt(v)`, >= 0; default 1e-8. */
  eps?: number;
  /** `psi` of the momentum schedule `mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi))`, >= 0; default 4e-3. */
  momentumDecay?: number;
  /** Decay params by `1 - lr * weightDecay` (as AdamW) instead of adding L2 to the gradient; default false. */
  decoupledWeightDecay?: boolean;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<NAdamOptions>[];
}

/** The validated options a {@link NAdam} holds. */
export interface ResolvedNAdamOptions extends ResolvedCommon {
  beta1: number;
  beta2: number;
  eps: number;
  momentumDecay: number;
  decoupledWeightDecay: boolean;
}

/** The per-step scalars of NAdam's fused pass. */
export interface NAdamStepScalars extends MomentScalars {
  invBias2Sqrt: number;
  eps: number;
  /** `lr * (1 - mu_t) / (1 - prod_{i<=t} mu_i)`, the gradient's weight. */
  gradStep: number;
  /** `lr * mu_{t+1} / (1 - prod_{i<=t+1} mu_i)`, the first moment's weight. */
  momentStep: number;
}

const NADAM_DEFAULTS: ResolvedNAdamOptions = {
  lr: 2e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  momentumDecay: 4e-3,
  decoupledWeightDecay: false,
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/**
 * NAdam (Dozat, 2016): Adam with Nesterov momentum and a warming momentum schedule,
 * with PyTorch's `torch.optim.NAdam` semantics (as documented, and as current PyTorch
 * computes it). For step `t = 1, 2, ...`:
 *
 * ```text
 * mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentumDecay))     (and mu_{t+1} likewise)
 * P_t  = mu_1 * ... * mu_t                                 (kept in the snapshot)
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
 * d = sqrt(v) * (1 / sqrt(1 - beta2^t)) + eps
 * p = p - (lr * (1 - mu_t) / (1 - P_t) * g + lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m) / d
 * ```
 *
 * Where `eps` sits: added to the bias-corrected root second moment, as in Adam.
 * PyTorch divides twice (`g / d` and `m / d`) and by `sqrt(1 - beta2^t)`; one division
 * per element and a reciprocal computed once per step move results by an ulp or so.
 * PyTorch 1.13's single-tensor loop multiplied `mu_t` into `P_{t+1}` twice; its
 * documented formula, its `foreach` path and PyTorch >= 2.0 do not, and neither do we.
 * `decoupledWeightDecay` is PyTorch >= 2.1's `decoupled_weight_decay`.
 *
 * @example
 * ```ts
 * import { NAdam } from '@adamflow/core';
 * const params = new Float64Array([1, -1]);
 * const opt = new NAdam(params, { lr: 0.01, momentumDecay: 4e-3 });
 * opt.step([0.5, -0.25]);
 * ```
 */
export class NAdam extends Optimizer<NAdamOptions, ResolvedNAdamOptions, NAdamStepScalars> {
  /** `'nadam'`. */
  get kind(): 'nadam' {
    return 'nadam';
  }
  /** First-moment estimates `m`. Read-only for callers. */
  readonly firstMoment: ParamArray;
  /** Second-moment estimates `v`. Read-only for callers. */
  readonly secondMoment: ParamArray;
  /** Each group's `P_t`, the product of its momentum coefficients so far (1 before the first step). */
  private muProducts: number[] = [];
  /** The WebAssembly state, when this optimizer runs on the SIMD kernel. */
  private readonly kernel: OptimizerKernel<'nadam'> | null;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link NAdamOptions}; defaults lr 2e-3, beta1 0.9, beta2 0.999, eps 1e-8, momentumDecay 4e-3.
   * @param settings - `backend`: `'auto'` (the SIMD kernel from 32 parameters up), `'wasm'` or `'js'`.
   */
  constructor(params: ParamArray, options?: NAdamOptions, settings: { backend?: Backend } = {}) {
    super(params, options, NADAM_DEFAULTS, [
      'beta1',
      'beta2',
      'eps',
      'momentumDecay',
      'decoupledWeightDecay',
    ]);
    const kernel = chooseKernel('nadam', 'nadam', params, settings?.backend);
    this.kernel = kernel;
    this.binding = kernel ? new KernelBinding(kernel) : null;
    const Buffer = params.constructor as Float64ArrayConstructor | Float32ArrayConstructor;
    this.firstMoment = kernel ? kernel.buffers.firstMoment : new Buffer(params.length);
    this.secondMoment = kernel ? kernel.buffers.secondMoment : new Buffer(params.length);
  }

  protected resolve(merged: ResolvedNAdamOptions): ResolvedNAdamOptions {
    unitInterval('nadam: beta1', merged.beta1);
    unitInterval('nadam: beta2', merged.beta2);
    nonNegativeFinite('nadam: eps', merged.eps);
    nonNegativeFinite('nadam: momentumDecay', merged.momentumDecay);
    boolean('nadam: decoupledWeightDecay', merged.decoupledWeightDecay);
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return { m: this.firstMoment, v: this.secondMoment };
  }

  protected override stateScalars(): Record<string, number> {
    const scalars: Record<string, number> = {};
    this.groupList.forEach((_, k) => {
      scalars[muProductName(k)] = this.muProducts[k] ?? 1;
    });
    return scalars;
  }

  protected override loadScalars(scalars: Record<string, number>): void {
    this.muProducts = this.groupList.map((_, k) => scalars[muProductName(k)] ?? 1);
  }

  /**
   * This step's scalars for group `k`; multiplies this step's momentum coefficient into
   * the group's product.
   */
  protected groupScalars(
    group: HeldGroup<ResolvedNAdamOptions>,
    k: number,
    scale: number,
  ): NAdamStepScalars {
    const options = group.hyper;
    const lr = group.lr;
    const { beta1, beta2, eps, weightDecay, momentumDecay, decoupledWeightDecay } = options;
    const t = this.t;
    // PyTorch's expressions, term for term.
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentumDecay));
    const muProduct = (this.muProducts[k] ?? 1) * mu;
    const muProductNext = muProduct * muNext;
    this.muProducts[k] = muProduct;
    return {
      ...gradientScalars(this.hyper.clipValue, options.maximize, scale),
      l2: decoupledWeightDecay ? 0 : weightDecay,
      decay: decoupledWeightDecay ? 1 - lr * weightDecay : 1,
      beta1,
      oneMinusBeta1: 1 - beta1,
      beta2,
      oneMinusBeta2: 1 - beta2,
      invBias2Sqrt: 1 / Math.sqrt(biasCorrection(beta2, t)),
      eps,
      gradStep: (lr * (1 - mu)) / (1 - muProduct),
      momentStep: (lr * muNext) / (1 - muProductNext),
    };
  }

  protected override kernelStep(group: HeldGroup<ResolvedNAdamOptions>, s: NAdamStepScalars): void {
    const flags = momentFlags(s);
    this.kernel!.step(
      group.from,
      group.to,
      flags,
      momentKernelScalars(s, [s.invBias2Sqrt, s.eps, s.gradStep, s.momentStep]),
    );
  }

  /** The fused, allocation-free pass over parameters `[from, to)`. */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedNAdamOptions>,
    s: NAdamStepScalars,
  ): void {
    const { scale, clip, bound, sign, l2, decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2 } = s;
    const { invBias2Sqrt, eps, gradStep, momentStep } = s;
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
      const denominator = Math.sqrt(vi) * invBias2Sqrt + eps;
      p[i] = pi - (gradStep * g + momentStep * mi) / denominator;
    }
  }
}

/** The snapshot name of group `k`'s product of momentum coefficients. */
function muProductName(k: number): string {
  return k === 0 ? 'muProduct' : `muProduct${k}`;
}
