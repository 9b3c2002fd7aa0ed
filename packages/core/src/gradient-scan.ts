// The one read pass over a gradient before a step changes anything: the finite check
// and the global norm that clipNorm scales by.

/**
 * NaN when `grad` holds a non-finite entry (and `check` is on), otherwise its sum of
 * squares (0 unless `wantNorm`), in one pass.
 *
 * @param grad - the gradient.
 * @param check - whether to look for NaN and ±Infinity.
 * @param wantNorm - whether to sum the squares.
 * @returns NaN, or the sum of squares.
 * @example
 * ```ts
 * scanGradient([3, 4], true, true); // 25
 * scanGradient([3, Number.NaN], true, false); // NaN
 * ```
 * @internal
 */
export function scanGradient(grad: ArrayLike<number>, check: boolean, wantNorm: boolean): number {
  // g - g is NaN exactly when g is NaN or ±Infinity, whereas g * g can overflow for
  // finite g; one pass serves both the finite check and the norm.
  const n = grad.length;
  let poison = 0;
  let sumSquares = 0;
  if (wantNorm) {
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      poison += g - g;
      sumSquares += g * g;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      poison += g - g;
    }
  }
  return check && poison !== 0 ? Number.NaN : sumSquares;
}

/**
 * PyTorch's `clip_grad_norm_` factor, `min(1, clipNorm / (norm + 1e-6))`.
 *
 * @param grad - the (finite) gradient.
 * @param sumSquares - its sum of squares, from {@link scanGradient}.
 * @param clipNorm - the largest norm allowed.
 * @returns the factor to scale the gradient by.
 * @example
 * ```ts
 * clipNormScale([3, 4], 25, 1); // 1 / (5 + 1e-6)
 * ```
 * @internal
 */
export function clipNormScale(
  grad: ArrayLike<number>,
  sumSquares: number,
  clipNorm: number,
): number {
  let norm = Math.sqrt(sumSquares);
  if (norm === Number.POSITIVE_INFINITY) norm = scaledNorm(grad);
  return Math.min(1, clipNorm / (norm + 1e-6));
}

/**
 * The index of the first entry that is NaN or ±Infinity, for messages.
 *
 * @param grad - the gradient.
 * @returns the index, or -1.
 * @example
 * ```ts
 * firstNonFinite([0, Infinity]); // 1
 * ```
 * @internal
 */
export function firstNonFinite(grad: ArrayLike<number>): number {
  for (let i = 0; i < grad.length; i++) if (!Number.isFinite(grad[i])) return i;
  return -1;
}

/** The L2 norm without overflow, for the rare finite gradient whose squares overflow. */
function scaledNorm(grad: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < grad.length; i++) max = Math.max(max, Math.abs(grad[i]!));
  let sum = 0;
  for (let i = 0; i < grad.length; i++) {
    const r = grad[i]! / max;
    sum += r * r;
  }
  return max * Math.sqrt(sum);
}
