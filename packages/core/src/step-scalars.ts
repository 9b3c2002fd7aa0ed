import { NAdamFlag } from './kernel-flags.js';
import { describe } from './validate.js';

/**
 * The gradient transform every fused pass starts with, resolved once per step:
 * `g = clamp(grad[i] * scale, -bound, bound) * sign`.
 * @internal
 */
export interface GradientScalars {
  /** The global-norm clipping factor (exactly 1 when off, so the product is exact). */
  scale: number;
  /** Whether to clamp to `[-bound, bound]` (a no-op clamp still costs ~3 ns a parameter). */
  clip: boolean;
  /** `clipValue`, or 0 when off. */
  bound: number;
  /** -1 under `maximize`, else 1: exact either way. */
  sign: number;
}

/**
 * Resolves the clip/maximize part of a step from validated options.
 *
 * @param clipValue - the optimizer's `clipValue` (whole-vector, so never a group's).
 * @param maximize - the group's `maximize`.
 * @param scale - the global-norm clipping factor of this step.
 * @returns the scalars the fused passes read.
 * @example
 * ```ts
 * gradientScalars(null, false, 1); // { scale: 1, clip: false, bound: 0, sign: 1 }
 * ```
 * @internal
 */
export function gradientScalars(
  clipValue: number | null,
  maximize: boolean,
  scale: number,
): GradientScalars {
  return { scale, clip: clipValue !== null, bound: clipValue ?? 0, sign: maximize ? -1 : 1 };
}

/**
 * The moment scalars of the Adam-family passes that decay weights either way (NAdam,
 * RAdam), resolved once per step.
 * @internal
 */
export interface MomentScalars extends GradientScalars {
  /** The L2 coefficient added to the gradient: 0 when decoupled. */
  l2: number;
  /** `1 - lr * weightDecay` when decoupled, else exactly 1. */
  decay: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
}

/**
 * The kernel flags of a NAdam or RAdam step: the `clip`, `l2` and `decoupled` bits,
 * which RAdam's kernel shares with NAdam's.
 *
 * @param s - the step's scalars.
 * @returns the flag bits (RAdam adds its `rectified` bit).
 * @example
 * ```ts
 * momentFlags({ ...s, clip: false, l2: 0, decay: 1 }); // 0
 * ```
 * @internal
 */
export function momentFlags(s: MomentScalars): number {
  return (
    (s.clip ? NAdamFlag.clip : 0) |
    (s.l2 !== 0 ? NAdamFlag.l2 : 0) |
    (s.decay !== 1 ? NAdamFlag.decoupled : 0)
  );
}

/**
 * The scalars of a NAdam or RAdam kernel step, in its order: `scale, bound, sign,
 * decay, l2, beta1, 1 - beta1, beta2, 1 - beta2`, then the optimizer's own.
 *
 * @param s - the step's scalars.
 * @param own - the optimizer's own scalars, in the kernel's order.
 * @returns every scalar the kernel function takes (see kernel/optimizers.wat).
 * @example
 * ```ts
 * kernel.step(from, to, momentFlags(s), momentKernelScalars(s, [s.eps, s.stepSize]));
 * ```
 * @internal
 */
export function momentKernelScalars(s: MomentScalars, own: readonly number[]): number[] {
  const { scale, bound, sign, decay, l2, beta1, oneMinusBeta1, beta2, oneMinusBeta2 } = s;
  return [scale, bound, sign, decay, l2, beta1, oneMinusBeta1, beta2, oneMinusBeta2, ...own];
}

/**
 * Refuses a `backend` setting for an optimizer that has only the JavaScript loop.
 *
 * @param name - the optimizer's kind, for the message.
 * @param backend - the setting as given.
 * @example
 * ```ts
 * jsOnlyBackend('adagrad', 'auto'); // fine; 'wasm' throws
 * ```
 * @internal
 */
export function jsOnlyBackend(name: string, backend: unknown): void {
  if (backend === undefined || backend === 'auto' || backend === 'js') return;
  if (backend === 'wasm') {
    throw new TypeError(
      `${name}: backend 'wasm' is not available for this optimizer (it runs in JavaScript only); use 'auto' or 'js'`,
    );
  }
  throw new TypeError(`${name}: backend must be 'auto', 'wasm' or 'js', got ${describe(backend)}`);
}

/**
 * `1 - beta^t`, PyTorch's bias correction, computed as PyTorch does.
 *
 * @param beta - a decay rate in [0, 1).
 * @param t - the step, from 1.
 * @returns `1 - beta ** t`.
 * @example
 * ```ts
 * biasCorrection(0.9, 1); // 0.09999999999999998
 * ```
 * @internal
 */
export function biasCorrection(beta: number, t: number): number {
  return 1 - beta ** t;
}
