// The WebAssembly SIMD module behind every optimizer's kernel: compiled once,
// synchronously, on first use, from the bytes embedded in kernel-binary.ts.
import { decodeBytes } from './base64.js';
import { KERNEL_BASE64 } from './kernel-binary.js';

// Minimal structural types, so @adamflow/core needs no DOM or Node typings.
/** A WebAssembly.Memory, as far as the kernel uses it. @internal */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The WebAssembly namespace, as far as the kernel uses it. @internal */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}

let compiled: object | null | undefined;

/**
 * The platform's WebAssembly namespace, if it has one.
 *
 * @returns `globalThis.WebAssembly`, or undefined.
 * @example
 * ```ts
 * const api = wasmApi(); // undefined where WebAssembly is missing
 * ```
 * @internal
 */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/**
 * The compiled kernel module, or null where WebAssembly SIMD is missing.
 *
 * @returns the module, compiled on the first call.
 * @example
 * ```ts
 * const module = kernelModule(); // null: use the JavaScript loops
 * ```
 * @internal
 */
export function kernelModule(): object | null {
  if (compiled === undefined) {
    const api = wasmApi();
    try {
      const bytes = decodeBytes(KERNEL_BASE64);
      if (!bytes) throw new Error('the embedded kernel is not valid base64');
      // validate() is false where SIMD is unsupported: those platforms use the JS path.
      compiled = api?.validate(bytes) ? new api.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Whether this platform runs the SIMD kernel (WebAssembly with 128-bit SIMD).
 *
 * @returns true when `backend: 'wasm'` is available.
 * @example
 * ```ts
 * import { wasmSimdAvailable } from '@adamflow/core';
 * console.log(wasmSimdAvailable()); // true on Node 20 and current browsers
 * ```
 */
export function wasmSimdAvailable(): boolean {
  return kernelModule() !== null;
}
