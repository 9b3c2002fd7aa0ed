import type { OptimizerKernel } from './optimizer-kernel.js';
import type { ParamArray } from './param-array.js';

/**
 * Moves an optimizer's data in and out of its kernel: the gradient is copied in once
 * per step (by the finite check if it runs, else before the update), caller-owned
 * params are copied in before and out after the update.
 *
 * @example
 * ```ts
 * const binding = new KernelBinding(kernel);
 * binding.enter(grad, params, t); // ... kernel.step(...) per group ...
 * binding.leave(params);
 * ```
 * @internal
 */
export class KernelBinding {
  private stagedStep = -1;

  constructor(
    private readonly kernel: Pick<OptimizerKernel, 'params' | 'gradient' | 'finite' | 'sumSquares'>,
  ) {}

  /** The optimizer's scanGradient on the kernel (see Optimizer.scanGradient). */
  scan(grad: ArrayLike<number>, nextStep: number, check: boolean, wantNorm: boolean): number {
    this.stage(grad, nextStep);
    if (check && !this.kernel.finite()) return Number.NaN;
    return wantNorm ? this.kernel.sumSquares() : 0;
  }

  /** Before the update of step `t`: gradient and params into kernel memory. */
  enter(grad: ArrayLike<number>, params: ParamArray, t: number): void {
    if (this.stagedStep !== t) this.stage(grad, t);
    if (params !== this.kernel.params) this.kernel.params.set(params);
  }

  /** After the update: params back to the caller's array. */
  leave(params: ParamArray): void {
    if (params !== this.kernel.params) params.set(this.kernel.params);
  }

  private stage(grad: ArrayLike<number>, step: number): void {
    if (grad !== this.kernel.gradient) this.kernel.gradient.set(grad);
    this.stagedStep = step;
  }
}
