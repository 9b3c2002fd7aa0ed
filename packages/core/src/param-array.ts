/**
 * The parameter vectors an optimizer can update in place, and the arrays its state
 * buffers are made of (same type as the parameters).
 *
 * @example
 * ```ts
 * import type { ParamArray } from '@adamflow/core';
 * const params: ParamArray = new Float32Array(1024);
 * ```
 */
export type ParamArray = Float32Array | Float64Array;
