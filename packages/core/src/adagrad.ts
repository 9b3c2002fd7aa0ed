import type { Backend } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { Optimizer } from './optimizer.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup, ParamGroup } from './param-groups.js';
import { type GradientScalars, gradientScalars, jsOnlyBackend } from './step-scalars.js';
import { nonNegativeFinite } from './validate.js';

/** Options of {@link Adagrad}. */
export interface AdagradOptions extends CommonOptions {
  /** Learning-rate decay: step `t` uses `lr / (1 + (t - 1) * lrDecay)`, >= 0; default 0. */
  lrDecay?: number;
  /**
   * The value the sum of squared gradients starts from, >= 0; default 0. It is used
   * when the sum is (re)initialised: at construction and by `reset()`. A parameter
   * group may set its own; PyTorch starts every group at the constructor's value.
   */
  initialAccumulatorValue?: number;
  /** Added to `sqrt(sum)`, >= 0; default 1e-10. */
  eps?: number;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<AdagradOptions>[];
}

/** The validated options an {@link Adagrad} holds. */
export interface ResolvedAdagradOptions extends ResolvedCommon {
  lrDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

/** The per-step scalars of Adagrad's fused pass. */
export interface AdagradStepScalars extends GradientScalars {
  l2: number;
  eps: number;
  /** `lr / (1 + (t - 1) * lrDecay)`. */
  stepSize: number;
}

const ADAGRAD_DEFAULTS: ResolvedAdagradOptions = {
  lr: 1e-2,
  lrDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/**
 * Adagrad (Duchi et al., 2011) with PyTorch's `torch.optim.Adagrad` semantics (dense
 * gradients). The sum `s` starts at `initialAccumulatorValue`; for step `t = 1, 2, ...`,
 * per element:
 *
 * ```text
 * g = maximize ? -g : g;  g = g + weightDecay * p        (L2)
 * s = s + g * g
 * p = p - (lr / (1 + (t - 1) * lrDecay)) * g / (sqrt(s) + eps)
 * ```
 *
 * Where `eps` sits: outside the square root, added to `sqrt(s)`, as PyTorch has it.
 * PyTorch starts `s` at 0, Keras and TF.js at 0.1 by default: pass
 * `initialAccumulatorValue: 0.1` for their start.
 *
 * @example
 * ```ts
 * import { Adagrad } from '@adamflow/core';
 * const params = new Float64Array([1, -1]);
 * const opt = new Adagrad(params, { lr: 0.1, lrDecay: 1e-3, initialAccumulatorValue: 0.1 });
 * opt.step([0.5, -0.25]);
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions, ResolvedAdagradOptions, AdagradStepScalars> {
  /** `'adagrad'`. */
  get kind(): 'adagrad' {
    return 'adagrad';
  }
  /** The running sum of squared gradients `s`. Read-only for callers. */
  readonly squareSum: ParamArray;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link AdagradOptions}; defaults lr 1e-2, lrDecay 0, initialAccumulatorValue 0, eps 1e-10.
   * @param settings - `backend`: `'auto'` or `'js'` (the JavaScript loop).
   */
  constructor(params: ParamArray, options?: AdagradOptions, settings: { backend?: Backend } = {}) {
    super(params, options, ADAGRAD_DEFAULTS, ['lrDecay', 'initialAccumulatorValue', 'eps']);
    jsOnlyBackend('adagrad', settings?.backend);
    const Buffer = params.constructor as Float64ArrayConstructor | Float32ArrayConstructor;
    this.squareSum = new Buffer(params.length);
    this.fillInitialSum();
  }

  /** Each group's range of the sum at its `initialAccumulatorValue`, as PyTorch starts it. */
  private fillInitialSum(): void {
    for (const group of this.groupList) {
      this.squareSum.fill(group.hyper.initialAccumulatorValue, group.from, group.to);
    }
  }

  protected resolve(merged: ResolvedAdagradOptions): ResolvedAdagradOptions {
    nonNegativeFinite('adagrad: lrDecay', merged.lrDecay);
    nonNegativeFinite('adagrad: initialAccumulatorValue', merged.initialAccumulatorValue);
    nonNegativeFinite('adagrad: eps', merged.eps);
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return { sum: this.squareSum };
  }

  /** Forgets the sum (back to each group's `initialAccumulatorValue`) and counters, keeping params. */
  override reset(): void {
    super.reset();
    this.fillInitialSum();
  }

  /** This step's scalars for one set of options (the optimizer's, or a group's). */
  protected groupScalars(
    group: HeldGroup<ResolvedAdagradOptions>,
    _k: number,
    scale: number,
  ): AdagradStepScalars {
    const options = group.hyper;
    const lr = group.lr;
    return {
      ...gradientScalars(this.hyper.clipValue, options.maximize, scale),
      l2: options.weightDecay,
      eps: options.eps,
      // PyTorch's expression, term for term.
      stepSize: lr / (1 + (this.t - 1) * options.lrDecay),
    };
  }

  /** The fused, allocation-free pass over parameters `[from, to)`. */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedAdagradOptions>,
    s: AdagradStepScalars,
  ): void {
    const { scale, clip, bound, sign, l2, eps, stepSize } = s;
    const p = this.params;
    const sum = this.squareSum;
    for (let i = group.from, to = group.to; i < to; i++) {
      let g = grad[i]! * scale;
      if (clip) {
        if (g > bound) g = bound;
        else if (g < -bound) g = -bound;
      }
      g *= sign;
      const pi = p[i]!;
      if (l2 !== 0) g += l2 * pi;
      const si = sum[i]! + g * g;
      sum[i] = si;
      // PyTorch's addcdiv: (value * g) / std.
      p[i] = pi - (stepSize * g) / (Math.sqrt(si) + eps);
    }
  }
}
