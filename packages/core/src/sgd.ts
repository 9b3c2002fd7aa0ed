import { type Backend, chooseKernel } from './choose-kernel.js';
import type { CommonOptions, ResolvedCommon } from './common-options.js';
import { KernelBinding } from './kernel-binding.js';
import { SgdFlag } from './kernel-flags.js';
import { Optimizer } from './optimizer.js';
import type { OptimizerKernel } from './optimizer-kernel.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup, ParamGroup } from './param-groups.js';
import { boolean, closedUnitInterval, unitInterval } from './validate.js';

/** Options of {@link SGD}. */
export interface SGDOptions extends CommonOptions {
  /** Momentum factor in [0, 1); default 0 (plain gradient descent). */
  momentum?: number;
  /** Dampening of the momentum's gradient term, in [0, 1]; default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  nesterov?: boolean;
  /** Parameter groups, each with its own options; see {@link ParamGroup}. */
  groups?: readonly ParamGroup<SGDOptions>[];
}

/** The validated options an {@link SGD} holds. */
export interface ResolvedSGDOptions extends ResolvedCommon {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

const SGD_DEFAULTS: ResolvedSGDOptions = {
  lr: 1e-3,
  momentum: 0,
  dampening: 0,
  nesterov: false,
  weightDecay: 0,
  maximize: false,
  clipValue: null,
  clipNorm: null,
  nonFinite: 'throw',
};

/** The per-step scalars of SGD's fused pass. */
export interface SGDStepScalars {
  /** The global-norm clipping factor. */
  scale: number;
  /** Whether this step seeds the group's momentum buffer. */
  first: boolean;
}

/**
 * Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`:
 *
 * ```text
 * d = maximize ? -g : g;  d = d + weightDecay * p
 * if momentum > 0:
 *   b = (first step) ? d : momentum * b + (1 - dampening) * d
 *   d = nesterov ? d + momentum * b : b
 * p = p - lr * d
 * ```
 *
 * @example
 * ```ts
 * import { SGD } from '@adamflow/core';
 * const params = new Float64Array([0, 0]);
 * const opt = new SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.step([1, -1]);
 * ```
 */
export class SGD extends Optimizer<SGDOptions, ResolvedSGDOptions, SGDStepScalars> {
  /** `'sgd'`. */
  get kind(): 'sgd' {
    return 'sgd';
  }
  /** The momentum buffer (zeros until momentum is used). Read-only for callers. */
  readonly momentumBuffer: ParamArray;
  /** Per group: whether its momentum buffer holds a first gradient yet. */
  private readonly bufferStarted: boolean[] = [];
  /** The WebAssembly state, when this optimizer runs on the SIMD kernel. */
  private readonly kernel: OptimizerKernel<'sgd'> | null;

  /**
   * @param params - the parameters, updated in place.
   * @param options - {@link SGDOptions}; default lr 1e-3, no momentum.
   * @param settings - `backend`: `'auto'` (the SIMD kernel from 32 parameters up), `'wasm'` or `'js'`.
   */
  constructor(params: ParamArray, options?: SGDOptions, settings: { backend?: Backend } = {}) {
    super(params, options, SGD_DEFAULTS, ['momentum', 'dampening', 'nesterov']);
    const kernel = chooseKernel('sgd', 'sgd', params, settings?.backend);
    this.kernel = kernel;
    this.binding = kernel ? new KernelBinding(kernel) : null;
    this.momentumBuffer = kernel
      ? kernel.buffers.momentum
      : new (params.constructor as Float64ArrayConstructor)(params.length);
  }

  protected resolve(merged: ResolvedSGDOptions): ResolvedSGDOptions {
    unitInterval('sgd: momentum', merged.momentum);
    closedUnitInterval('sgd: dampening', merged.dampening);
    boolean('sgd: nesterov', merged.nesterov);
    if (merged.nesterov && (merged.momentum <= 0 || merged.dampening !== 0)) {
      throw new RangeError(
        `sgd: nesterov needs momentum > 0 and dampening 0, got momentum ${merged.momentum} and dampening ${merged.dampening}`,
      );
    }
    return this.resolveCommon(merged);
  }

  protected stateBuffers(): Record<string, ParamArray> {
    return { momentum: this.momentumBuffer };
  }

  // The flags of group k are 'bufferStarted' (k = 0, as before groups) and 'bufferStarted<k>'.
  protected override stateFlags(): Record<string, boolean> {
    const flags: Record<string, boolean> = {};
    this.groupList.forEach((_, k) => {
      flags[startedFlag(k)] = this.bufferStarted[k] === true;
    });
    return flags;
  }

  protected override loadFlags(flags: Record<string, boolean>): void {
    this.groupList.forEach((_, k) => {
      this.bufferStarted[k] = flags[startedFlag(k)] === true;
    });
  }

  protected groupScalars(
    group: HeldGroup<ResolvedSGDOptions>,
    k: number,
    scale: number,
  ): SGDStepScalars {
    // PyTorch seeds each group's buffer with its first gradient, undamped.
    const first = group.hyper.momentum !== 0 && this.bufferStarted[k] !== true;
    if (group.hyper.momentum !== 0) this.bufferStarted[k] = true;
    return { scale, first };
  }

  /** One group's fused pass over its range, in JavaScript. */
  protected updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<ResolvedSGDOptions>,
    { scale, first }: SGDStepScalars,
  ): void {
    const { momentum, dampening, nesterov, weightDecay, maximize } = group.hyper;
    const clipValue = this.hyper.clipValue;
    const lr = group.lr;
    const p = this.params;
    const b = this.momentumBuffer;
    const sign = maximize ? -1 : 1;
    // Clamping only when asked: even a no-op clamp against Infinity costs ~3 ns a parameter.
    const clip = clipValue !== null;
    const bound = clipValue ?? 0;
    const useMomentum = momentum !== 0;
    const oneMinusDampening = 1 - dampening;
    for (let i = group.from, to = group.to; i < to; i++) {
      let d = grad[i]! * scale;
      if (clip) {
        if (d > bound) d = bound;
        else if (d < -bound) d = -bound;
      }
      d *= sign;
      const pi = p[i]!;
      if (weightDecay !== 0) d += weightDecay * pi;
      if (useMomentum) {
        const bi = first ? d : momentum * b[i]! + oneMinusDampening * d;
        b[i] = bi;
        d = nesterov ? d + momentum * bi : bi;
      }
      p[i] = pi - lr * d;
    }
  }

  /** The same pass on the SIMD kernel. */
  protected override kernelStep(
    group: HeldGroup<ResolvedSGDOptions>,
    { scale, first }: SGDStepScalars,
  ): void {
    const { momentum, dampening, nesterov, weightDecay, maximize } = group.hyper;
    const clipValue = this.hyper.clipValue;
    let flags = 0;
    if (clipValue !== null) flags |= SgdFlag.clip;
    if (weightDecay !== 0) flags |= SgdFlag.l2;
    if (momentum !== 0) flags |= SgdFlag.momentum;
    if (first) flags |= SgdFlag.first;
    if (nesterov) flags |= SgdFlag.nesterov;
    this.kernel!.step(group.from, group.to, flags, [
      scale,
      clipValue ?? 0,
      maximize ? -1 : 1,
      weightDecay,
      momentum,
      1 - dampening,
      group.lr,
    ]);
  }
}

function startedFlag(k: number): string {
  return k === 0 ? 'bufferStarted' : `bufferStarted${k}`;
}
