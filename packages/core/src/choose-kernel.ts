import type { KernelLayout } from './kernel-memory-layout.js';
import { OptimizerKernel } from './optimizer-kernel.js';
import type { ParamArray } from './param-array.js';

/** Which backend an optimizer runs on; see the core README. */
export type Backend = 'auto' | 'wasm' | 'js';

/**
 * Below this many parameters the JavaScript loop is faster than calling into
 * WebAssembly (set from bench/results/core.json; see the README).
 */
export const WASM_MIN_LENGTH = 32;

/**
 * Picks the kernel for `params` under a backend setting: the SIMD kernel from
 * {@link WASM_MIN_LENGTH} parameters up with `'auto'`, always with `'wasm'`
 * (throwing where WebAssembly SIMD is missing), never with `'js'`.
 *
 * @param layout - whose state buffers the kernel holds.
 * @param name - the optimizer's kind, for messages.
 * @param params - the parameters.
 * @param backend - the `backend` setting as given.
 * @returns the kernel, or null for the JavaScript loop.
 * @example
 * ```ts
 * chooseKernel('sgd', 'sgd', new Float64Array(4)); // null: under WASM_MIN_LENGTH
 * ```
 * @internal
 */
export function chooseKernel<L extends KernelLayout>(
  layout: L,
  name: string,
  params: ParamArray,
  backend: unknown = 'auto',
): OptimizerKernel<L> | null {
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'js') {
    throw new TypeError(
      `${name}: backend must be 'auto', 'wasm' or 'js', got ${JSON.stringify(backend)}`,
    );
  }
  if (backend === 'js' || !(params instanceof Float64Array || params instanceof Float32Array))
    return null;
  if (backend === 'auto' && params.length < WASM_MIN_LENGTH) return null;
  const kernel = OptimizerKernel.create(layout, params.length, params instanceof Float64Array);
  if (!kernel && backend === 'wasm') {
    throw new TypeError(
      `${name}: backend 'wasm' needs WebAssembly with SIMD, which this platform lacks; use 'auto' or 'js'`,
    );
  }
  return kernel;
}
