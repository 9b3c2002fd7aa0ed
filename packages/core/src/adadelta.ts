import type { Backend } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { Optimizer } from './optimizer.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup, ParamGroup } from './param-groups.js';
import { type GradientScalars, gradientScalars, jsOnlyBackend } from './step-scalars.js';
import { closedUnitInterval, nonNegativeFinite } from './validate.js';

/** Options of {@link Adadelta}. */
export interface AdadeltaOptions extends CommonOptions {
  /** Decay rate of both running averages, in [0, 1]; default 0.9. */
  rho?: number;
  /** Added inside both square roots, >= 0; default 1e-6. */
  eps?: number;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<AdadeltaOptions>[];
}

/** The validated options an {@link Adadelta} holds. */
export interface ResolvedAdadeltaOptions extends ResolvedCommon {
  rho: number;
  eps: number;
}

/** The per-step scalars of Adadelta's fused pass. */
export interface AdadeltaStepScalars extends GradientScalars {
  l2: number;
  rho: number;
  oneMinusRho: number;
  eps: number;
  lr: number;
}

const ADADELTA_DEFAULTS: ResolvedAdadeltaOptions = {
  lr: 1,
  rho: 0.9,
  eps: 1e-6,
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/**
 * Adadelta (Zeiler, 2012) with PyTorch's `torch.optim.Adadelta` semantics, per element:
 *
 * ```text
 * g = maximize ? -g : g;  g = g + weightDecay * p        (L2)
 * s = rho * s + (1 - rho) * g * g
 * d = sqrt(a + eps) / sqrt(s + eps) * g
 * a = rho * a + (1 - rho) * d * d
 * p = p - lr * d
 * ```
 *
 * Where `eps` sits: inside both square roots, as in the paper and PyTorch. `lr`
 * defaults to 1, PyTorch's default (the paper has no learning rate).
 *
 * @example
 * ```ts
 * import { Adadelta } from '@adamflow/core';
 * const params = new Float64Array([1, -1]);
 * const opt = new Adadelta(params, { rho: 0.95, eps: 1e-6 });
 * opt.step([0.5, -0.25]);
 * ```
 */
export class Adadelta extends Optimizer<
  AdadeltaOptions,
  ResolvedAdadeltaOptions,
  AdadeltaStepScalars
> {
  /** `'adadelta'`. */
  get kind(): 'adadelta' {
    return 'adadelta';
  }
  /** Running average of squared gradients `s`. Read-only for callers. */
  readonly squareAverage: ParamArray;
  /** Running average of squared updates `a`. Read-only for callers. */
  readonly deltaAverage: ParamArray;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link AdadeltaOptions}; defaults lr 1, rho 0.9, eps 1e-6.
   * @param settings - `backend`: `'auto'` or `'js'` (the JavaScript loop).
   */
  constructor(params: ParamArray, options?: AdadeltaOptions, settings: { backend?: Backend } = {}) {
    super(params, options, ADADELTA_DEFAULTS, ['rho', 'eps']);
    jsOnlyBackend('adadelta', settings?.backend);
    const Buffer = params.constructor as Float64ArrayConstructor | Float32ArrayConstructor;
    this.squareAverage = new Buffer(params.length);
    this.deltaAverage = new Buffer(params.length);
  }

  protected resolve(merged: ResolvedAdadeltaOptions): ResolvedAdadeltaOptions {
    closedUnitInterval('adadelta: rho', merged.rho);
    nonNegativeFinite('adadelta: eps', merged.eps);
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return { square: this.squareAverage, delta: this.deltaAverage };
  }

  /** This step's scalars for one set of options (the optimizer's, or a group's). */
  protected groupScalars(
    group: HeldGroup<ResolvedAdadeltaOptions>,
    _k: number,
    scale: number,
  ): AdadeltaStepScalars {
    const options = group.hyper;
    const lr = group.lr;
    return {
      ...gradientScalars(this.hyper.clipValue, options.maximize, scale),
      l2: options.weightDecay,
      rho: options.rho,
      oneMinusRho: 1 - options.rho,
      eps: options.eps,
      lr,
    };
  }

  /** The fused, allocation-free pass over parameters `[from, to)`. */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedAdadeltaOptions>,
    s: AdadeltaStepScalars,
  ): void {
    const { scale, clip, bound, sign, l2, rho, oneMinusRho, eps, lr } = s;
    const p = this.params;
    const sq = this.squareAverage;
    const acc = this.deltaAverage;
    for (let i = group.from, to = group.to; i < to; i++) {
      let g = grad[i]! * scale;
      if (clip) {
        if (g > bound) g = bound;
        else if (g < -bound) g = -bound;
      }
      g *= sign;
      const pi = p[i]!;
      if (l2 !== 0) g += l2 * pi;
      const si = rho * sq[i]! + oneMinusRho * g * g;
      sq[i] = si;
      // PyTorch's order: sqrt(a + eps) / sqrt(s + eps), then times g.
      const delta = (Math.sqrt(acc[i]! + eps) / Math.sqrt(si + eps)) * g;
      acc[i] = rho * acc[i]! + oneMinusRho * delta * delta;
      p[i] = pi - lr * delta;
    }
  }
}
