/**
 * Adam's bias correction `1 - beta ** t`, exactly as PyTorch computes it, remembering
 * when it saturates. `Math.pow` costs ~30 ns, more than a whole 2-parameter update; once
 * `1 - beta ** t` rounds to exactly 1 it stays 1 for every later `t` (`beta ** t` only
 * shrinks), so from that step on the power is skipped and the result is bitwise the
 * same. For beta = 0.999 that is from t ≈ 36 700 on. A changed `beta` starts over.
 *
 * Callers test the saturated case inline (`t >= c.saturatedAt && beta === c.beta`),
 * since a method call there costs as much as a small update.
 *
 * @example
 * ```ts
 * const correction = new BiasCorrection();
 * correction.at(0.9, 1); // 0.09999999999999998
 * ```
 * @internal
 */
export class BiasCorrection {
  /** The beta `saturatedAt` was found for (NaN before the first call). */
  beta = Number.NaN;
  /** The first step at which `1 - beta ** t` rounded to 1 (Infinity until then). */
  saturatedAt = Number.POSITIVE_INFINITY;

  /**
   * @param beta - the decay rate, in [0, 1).
   * @param t - the step, 1 for the first.
   * @returns `1 - beta ** t`.
   */
  at(beta: number, t: number): number {
    if (beta !== this.beta) {
      this.beta = beta;
      this.saturatedAt = Number.POSITIVE_INFINITY;
    }
    if (t >= this.saturatedAt) return 1;
    const value = 1 - beta ** t;
    if (value === 1) this.saturatedAt = t;
    return value;
  }
}
