import { type Backend, chooseKernel } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { KernelBinding } from './kernel-binding.js';
import { RmspropFlag } from './kernel-flags.js';
import { Optimizer } from './optimizer.js';
import type { OptimizerKernel } from './optimizer-kernel.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup, ParamGroup } from './param-groups.js';
import { boolean, nonNegativeFinite, oneOf, unitInterval } from './validate.js';

/** Options of {@link RMSProp}. */
export interface RMSPropOptions extends CommonOptions {
  /** Smoothing constant of the squared-gradient average, in [0, 1); default 0.99. */
  alpha?: number;
  /** Added to the denominator, >= 0; default 1e-8. */
  eps?: number;
  /** Momentum factor in [0, 1); default 0. */
  momentum?: number;
  /** Normalise by the estimated variance instead of the raw second moment; default false. */
  centered?: boolean;
  /** Where `eps` goes: see {@link RMSPropEpsPlacement}; default `'outside-sqrt'` (PyTorch). */
  epsPlacement?: RMSPropEpsPlacement;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<RMSPropOptions>[];
}

/**
 * Where RMSProp adds `eps`, for porting trajectories from other libraries:
 * - `'outside-sqrt'` (default): `g / (sqrt(s) + eps)`, as PyTorch does.
 * - `'inside-sqrt'`: `g / sqrt(s + eps)`, as Keras, TensorFlow.js and River do
 *   (centered: `g / sqrt(s - gAvg^2 + eps)`).
 *
 * Their momentum form, `b = momentum * b + lr * g / a; p -= b`, equals ours
 * (`b = momentum * b + g / a; p -= lr * b`) while `lr` is constant.
 */
export type RMSPropEpsPlacement = 'outside-sqrt' | 'inside-sqrt';

const EPS_PLACEMENTS: readonly RMSPropEpsPlacement[] = ['outside-sqrt', 'inside-sqrt'];

/** The validated options an {@link RMSProp} holds. */
export interface ResolvedRMSPropOptions extends ResolvedCommon {
  alpha: number;
  eps: number;
  momentum: number;
  centered: boolean;
  epsPlacement: RMSPropEpsPlacement;
}

const RMSPROP_DEFAULTS: ResolvedRMSPropOptions = {
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  momentum: 0,
  centered: false,
  epsPlacement: 'outside-sqrt',
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/**
 * RMSProp, PyTorch's `torch.optim.RMSprop` (note: `eps` outside the square root):
 *
 * ```text
 * g = maximize ? -g : g;  g = g + weightDecay * p
 * s = alpha * s + (1 - alpha) * g * g
 * a = centered ? sqrt(s - gAvg^2) + eps   (gAvg = alpha * gAvg + (1 - alpha) * g)
 *              : sqrt(s) + eps
 *     (epsPlacement 'inside-sqrt', as Keras, TF.js, River: sqrt(s - gAvg^2 + eps), sqrt(s + eps))
 * momentum > 0 ? (b = momentum * b + g / a; p = p - lr * b) : p = p - lr * g / a
 * ```
 *
 * @example
 * ```ts
 * import { RMSProp } from '@adamflow/core';
 * const params = new Float64Array([1, 2]);
 * const opt = new RMSProp(params, { lr: 0.01, centered: true, momentum: 0.9 });
 * opt.step([0.1, -0.2]);
 * ```
 */
export class RMSProp extends Optimizer<RMSPropOptions, ResolvedRMSPropOptions, number> {
  /** `'rmsprop'`. */
  get kind(): 'rmsprop' {
    return 'rmsprop';
  }
  /** Running average of squared gradients. Read-only for callers. */
  readonly squareAverage: ParamArray;
  /** Running average of gradients (used when `centered`). Read-only for callers. */
  readonly gradAverage: ParamArray;
  /** Momentum buffer (used when `momentum > 0`). Read-only for callers. */
  readonly momentumBuffer: ParamArray;
  /** The WebAssembly state, when this optimizer runs on the SIMD kernel. */
  private readonly kernel: OptimizerKernel<'rmsprop'> | null;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link RMSPropOptions}; default lr 1e-2, alpha 0.99, eps 1e-8.
   * @param settings - `backend`: `'auto'` (the SIMD kernel from 32 parameters up), `'wasm'` or `'js'`.
   */
  constructor(params: ParamArray, options?: RMSPropOptions, settings: { backend?: Backend } = {}) {
    super(params, options, RMSPROP_DEFAULTS, [
      'alpha',
      'eps',
      'momentum',
      'centered',
      'epsPlacement',
    ]);
    const kernel = chooseKernel('rmsprop', 'rmsprop', params, settings?.backend);
    this.kernel = kernel;
    this.binding = kernel ? new KernelBinding(kernel) : null;
    const Buffer = params.constructor as Float64ArrayConstructor;
    this.squareAverage = kernel ? kernel.buffers.squareAverage : new Buffer(params.length);
    this.gradAverage = kernel ? kernel.buffers.gradAverage : new Buffer(params.length);
    this.momentumBuffer = kernel ? kernel.buffers.momentum : new Buffer(params.length);
  }

  protected resolve(merged: ResolvedRMSPropOptions): ResolvedRMSPropOptions {
    unitInterval('rmsprop: alpha', merged.alpha);
    nonNegativeFinite('rmsprop: eps', merged.eps);
    unitInterval('rmsprop: momentum', merged.momentum);
    boolean('rmsprop: centered', merged.centered);
    oneOf('rmsprop: epsPlacement', merged.epsPlacement, EPS_PLACEMENTS);
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return {
      square: this.squareAverage,
      gradAverage: this.gradAverage,
      momentum: this.momentumBuffer,
    };
  }

  /** RMSProp's per-step scalars: only the clipping factor (the rest are options). */
  protected groupScalars(
    _group: HeldGroup<ResolvedRMSPropOptions>,
    _k: number,
    scale: number,
  ): number {
    return scale;
  }

  /** One group's fused pass over its range, in JavaScript. */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedRMSPropOptions>,
    scale: number,
  ): void {
    const { alpha, eps, momentum, centered, weightDecay, maximize, epsPlacement } = group.hyper;
    const clipValue = this.hyper.clipValue;
    const lr = group.lr;
    const inside = epsPlacement === 'inside-sqrt';
    const p = this.params;
    const s = this.squareAverage;
    const ga = this.gradAverage;
    const b = this.momentumBuffer;
    const sign = maximize ? -1 : 1;
    // Clamping only when asked: even a no-op clamp against Infinity costs ~3 ns a parameter.
    const clip = clipValue !== null;
    const bound = clipValue ?? 0;
    const oneMinusAlpha = 1 - alpha;
    for (let i = group.from, to = group.to; i < to; i++) {
      let g = grad[i]! * scale;
      if (clip) {
        if (g > bound) g = bound;
        else if (g < -bound) g = -bound;
      }
      g *= sign;
      const pi = p[i]!;
      if (weightDecay !== 0) g += weightDecay * pi;
      const si = alpha * s[i]! + oneMinusAlpha * g * g;
      s[i] = si;
      let average = si;
      if (centered) {
        const gi = alpha * ga[i]! + oneMinusAlpha * g;
        ga[i] = gi;
        average = si - gi * gi;
      }
      average = inside ? Math.sqrt(average + eps) : Math.sqrt(average) + eps;
      if (momentum > 0) {
        const bi = momentum * b[i]! + g / average;
        b[i] = bi;
        p[i] = pi - lr * bi;
      } else {
        p[i] = pi - (lr * g) / average;
      }
    }
  }

  /** The same pass on the SIMD kernel. */
  protected override kernelStep(group: HeldGroup<ResolvedRMSPropOptions>, scale: number): void {
    const { alpha, eps, momentum, centered, weightDecay, maximize, epsPlacement } = group.hyper;
    const clipValue = this.hyper.clipValue;
    let flags = 0;
    if (clipValue !== null) flags |= RmspropFlag.clip;
    if (weightDecay !== 0) flags |= RmspropFlag.l2;
    if (centered) flags |= RmspropFlag.centered;
    if (momentum > 0) flags |= RmspropFlag.momentum;
    if (epsPlacement === 'inside-sqrt') flags |= RmspropFlag.epsInside;
    this.kernel!.step(group.from, group.to, flags, [
      scale,
      clipValue ?? 0,
      maximize ? -1 : 1,
      weightDecay,
      alpha,
      1 - alpha,
      eps,
      momentum,
      group.lr,
    ]);
  }
}
