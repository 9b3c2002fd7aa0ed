// The WebAssembly SIMD backend of Adam: module compiled once (synchronously, on first
// use), one small instance and one fixed-size memory per optimizer.
import { decodeBytes } from './base64.js';
import { KERNEL_BASE64 } from './kernel-binary.js';
import type { ParamArray } from './optimizer.js';

// Minimal structural types, so @adamflow/core needs no DOM or Node typings.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
type StepFunction = (
  p: number,
  m: number,
  v: number,
  vmax: number,
  g: number,
  bytes: number,
  flags: number,
  scale: number,
  bound: number,
  sign: number,
  decay: number,
  l2: number,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  oneMinusBeta2: number,
  stepSize: number,
  invBias2Sqrt: number,
  eps: number,
) => void;

type PlainStepFunction = (
  p: number,
  m: number,
  v: number,
  g: number,
  bytes: number,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  oneMinusBeta2: number,
  stepSize: number,
  invBias2Sqrt: number,
  eps: number,
) => void;

type SgdFunction = (
  p: number,
  b: number,
  g: number,
  bytes: number,
  flags: number,
  scale: number,
  bound: number,
  sign: number,
  l2: number,
  momentum: number,
  oneMinusDampening: number,
  lr: number,
) => void;
type RmspropFunction = (
  p: number,
  s: number,
  ga: number,
  b: number,
  g: number,
  bytes: number,
  flags: number,
  scale: number,
  bound: number,
  sign: number,
  l2: number,
  alpha: number,
  oneMinusAlpha: number,
  eps: number,
  momentum: number,
  lr: number,
) => void;

/** Flags of the SGD kernel. */
export const SgdFlag = { clip: 1, l2: 2, momentum: 4, first: 8, nesterov: 16 } as const;
/** Flags of the RMSProp kernel. */
export const RmspropFlag = { clip: 1, l2: 2, centered: 4, momentum: 8 } as const;

/** Flags of the kernel's step (see kernel/adam.wat). */
export const KernelFlag = { clip: 1, l2: 2, decoupled: 4, amsgrad: 8 } as const;

/**
 * Below this many parameters the JavaScript loop is faster than calling into
 * WebAssembly (set from bench/results/core.json; see the README).
 */
export const WASM_MIN_LENGTH = 32;

let compiled: object | null | undefined;

function wasm(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

function kernelModule(): object | null {
  if (compiled === undefined) {
    const api = wasm();
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

/**
 * One optimizer's WebAssembly state: params, moments, AMSGrad maximum and gradient,
 * each a typed-array view into one memory that is sized once and never grows, so the
 * views never detach.
 */
export class AdamKernel {
  readonly p: ParamArray;
  readonly m: ParamArray;
  readonly v: ParamArray;
  readonly vMax: ParamArray;
  readonly g: ParamArray;
  readonly memory: WasmMemory;
  private readonly offsets: [number, number, number, number, number];
  private readonly bytes: number;
  private readonly length: number;
  private readonly stepFunction: StepFunction;
  private readonly plainFunction: PlainStepFunction;
  private readonly sgdFunction: SgdFunction;
  private readonly rmspropFunction: RmspropFunction;
  private readonly finiteFunction: (g: number, bytes: number) => number;
  private readonly sumSquaresFunction: (g: number, count: number) => number;

  private constructor(api: WasmApi, module: object, length: number, float64: boolean) {
    const width = float64 ? 8 : 4;
    // Each region padded to whole groups of four 16-byte vectors (the unrolled
    // loops' stride); the padding stays zero.
    const region = Math.ceil((length * width) / 64) * 64;
    const pages = Math.max(1, Math.ceil((5 * region) / 65536));
    this.memory = new api.Memory({ initial: pages, maximum: pages });
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    const suffix = float64 ? 'f64' : 'f32';
    this.stepFunction = instance.exports[`adam_${suffix}`] as StepFunction;
    this.plainFunction = instance.exports[`adam_plain_${suffix}`] as PlainStepFunction;
    this.sgdFunction = instance.exports[`sgd_${suffix}`] as SgdFunction;
    this.rmspropFunction = instance.exports[`rmsprop_${suffix}`] as RmspropFunction;
    this.finiteFunction = instance.exports[`finite_${suffix}`] as (
      g: number,
      bytes: number,
    ) => number;
    this.sumSquaresFunction = instance.exports[`sumsq_${suffix}`] as (
      g: number,
      count: number,
    ) => number;
    this.offsets = [0, region, 2 * region, 3 * region, 4 * region];
    this.bytes = region;
    this.length = length;
    const View = float64 ? Float64Array : Float32Array;
    const [p, m, v, vMax, g] = this.offsets.map(
      (offset) => new View(this.memory.buffer, offset, length),
    );
    this.p = p!;
    this.m = m!;
    this.v = v!;
    this.vMax = vMax!;
    this.g = g!;
  }

  /**
   * @param length - number of parameters.
   * @param float64 - f64x2 lanes when true, f32x4 otherwise.
   * @returns a kernel, or null where WebAssembly SIMD is unavailable.
   */
  static create(length: number, float64: boolean): AdamKernel | null {
    const api = wasm();
    const module = kernelModule();
    if (!api || !module) return null;
    return new AdamKernel(api, module, length, float64);
  }

  /** SGD over all parameters; the momentum buffer is region `m`. */
  stepSgd(
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    l2: number,
    momentum: number,
    oneMinusDampening: number,
    lr: number,
  ): void {
    const [p, m, , , g] = this.offsets;
    this.sgdFunction(
      p,
      m,
      g,
      this.bytes,
      flags,
      scale,
      bound,
      sign,
      l2,
      momentum,
      oneMinusDampening,
      lr,
    );
  }

  /** RMSProp over all parameters; square average, gradient average and momentum are regions `m`, `v`, `vMax`. */
  stepRmsprop(
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    l2: number,
    alpha: number,
    eps: number,
    momentum: number,
    lr: number,
  ): void {
    const [p, m, v, vMax, g] = this.offsets;
    this.rmspropFunction(
      p,
      m,
      v,
      vMax,
      g,
      this.bytes,
      flags,
      scale,
      bound,
      sign,
      l2,
      alpha,
      1 - alpha,
      eps,
      momentum,
      lr,
    );
  }

  /** Whether every gradient entry in `g` is finite (one SIMD read pass). */
  finite(): boolean {
    return this.finiteFunction(this.offsets[4], this.bytes) === 1;
  }

  /** Sum of squares of `g`, in the JavaScript loop's order (one sequential read pass). */
  sumSquares(): number {
    return this.sumSquaresFunction(this.offsets[4], this.length);
  }

  /** The fused Adam step over all parameters (scalars as in src/adam.ts). */
  step(
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    decay: number,
    l2: number,
    beta1: number,
    beta2: number,
    stepSize: number,
    invBias2Sqrt: number,
    eps: number,
  ): void {
    const [p, m, v, vMax, g] = this.offsets;
    if (flags === 0 && scale === 1 && sign === 1) {
      this.plainFunction(
        p,
        m,
        v,
        g,
        this.bytes,
        beta1,
        1 - beta1,
        beta2,
        1 - beta2,
        stepSize,
        invBias2Sqrt,
        eps,
      );
      return;
    }
    this.stepFunction(
      p,
      m,
      v,
      vMax,
      g,
      this.bytes,
      flags,
      scale,
      bound,
      sign,
      decay,
      l2,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      stepSize,
      invBias2Sqrt,
      eps,
    );
  }
}

/** Which backend an optimizer runs on; see the core README. */
export type Backend = 'auto' | 'wasm' | 'js';

/**
 * Picks the kernel for `params` under a backend setting: the SIMD kernel from
 * {@link WASM_MIN_LENGTH} parameters up with `'auto'`, always with `'wasm'`
 * (throwing where WebAssembly SIMD is missing), never with `'js'`.
 * @internal
 */
export function chooseKernel(
  name: string,
  params: ParamArray,
  backend: unknown = 'auto',
): AdamKernel | null {
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'js') {
    throw new TypeError(
      `${name}: backend must be 'auto', 'wasm' or 'js', got ${JSON.stringify(backend)}`,
    );
  }
  if (backend === 'js' || !(params instanceof Float64Array || params instanceof Float32Array))
    return null;
  if (backend === 'auto' && params.length < WASM_MIN_LENGTH) return null;
  const kernel = AdamKernel.create(params.length, params instanceof Float64Array);
  if (!kernel && backend === 'wasm') {
    throw new TypeError(
      `${name}: backend 'wasm' needs WebAssembly with SIMD, which this platform lacks; use 'auto' or 'js'`,
    );
  }
  return kernel;
}

/**
 * Moves an optimizer's data in and out of its kernel: the gradient is copied in once
 * per step (by the finite check if it runs, else before the update), caller-owned
 * params are copied in before and out after the update.
 * @internal
 */
export class KernelBinding {
  private stagedStep = -1;

  constructor(readonly kernel: AdamKernel) {}

  /** The optimizer's scanGradient on the kernel (see Optimizer.scanGradient). */
  scan(grad: ArrayLike<number>, nextStep: number, check: boolean, wantNorm: boolean): number {
    this.stage(grad, nextStep);
    if (check && !this.kernel.finite()) return Number.NaN;
    return wantNorm ? this.kernel.sumSquares() : 0;
  }

  /** Before the update of step `t`: gradient and params into kernel memory. */
  enter(grad: ArrayLike<number>, params: ParamArray, t: number): void {
    if (this.stagedStep !== t) this.stage(grad, t);
    if (params !== this.kernel.p) this.kernel.p.set(params);
  }

  /** After the update: params back to the caller's array. */
  leave(params: ParamArray): void {
    if (params !== this.kernel.p) params.set(this.kernel.p);
  }

  private stage(grad: ArrayLike<number>, step: number): void {
    if (grad !== this.kernel.g) this.kernel.g.set(grad);
    this.stagedStep = step;
  }
}
