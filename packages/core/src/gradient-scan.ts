// The one read pass over a gradient before a step changes anything: the finite check
// and the global norm that clipNorm scales by.
import { AdamflowError } from './errors.js';
import { describe } from './validate.js';

/**
 * Checks a gradient's shape: an array-like of `length` numbers.
 *
 * @param name - the optimizer's kind, for messages.
 * @param grad - what `step()` was given.
 * @param length - the number of parameters.
 * @throws TypeError or RangeError saying what to pass.
 * @example
 * ```ts
 * checkGradient('adam', [1, 2], 3); // RangeError: adam.step: grad has length 2 but ...
 * ```
 * @internal
 */
export function checkGradient(name: string, grad: unknown, length: number): void {
  const g = grad as ArrayLike<number> | null;
  if (g === null || typeof g !== 'object' || typeof g.length !== 'number') {
    throw new TypeError(
      `${name}.step: grad must be an array or typed array of numbers, got ${describe(grad)}`,
    );
  }
  if (g.length !== length) {
    throw new RangeError(
      `${name}.step: grad has length ${g.length} but there are ${length} parameters; pass one gradient entry per parameter`,
    );
  }
}

/**
 * The error of a step refused under `nonFinite: 'throw'`.
 *
 * @param name - the optimizer's kind.
 * @param grad - the gradient holding NaN or ±Infinity.
 * @returns an AdamflowError `ADAMFLOW_ERR_NON_FINITE_GRADIENT` naming the first bad index.
 * @example
 * ```ts
 * throw nonFiniteGradient('adam', [0, Number.NaN]); // ... (first at index 1) ...
 * ```
 * @internal
 */
export function nonFiniteGradient(name: string, grad: ArrayLike<number>): AdamflowError {
  return new AdamflowError(
    'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
    `${name}.step: the gradient holds NaN or Infinity (first at index ${firstNonFinite(grad)}); nothing was changed. Fix the gradient, or pass nonFinite: 'skip' to skip such steps`,
  );
}

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

/** The index of the first entry that is NaN or ±Infinity, for messages (-1: none). */
function firstNonFinite(grad: ArrayLike<number>): number {
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
