// The WebAssembly SIMD backend of every optimizer: module compiled once (synchronously,
// on first use), one small instance and one fixed-size memory per optimizer.
import { decodeBytes } from './base64.js';
import { KERNEL_BASE64 } from './kernel-binary.js';
import type { ParamArray } from './param-array.js';

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
type AdamFunction = (
  p: number,
  firstMoment: number,
  secondMoment: number,
  maxSecondMoment: number,
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

type AdamPlainFunction = (
  p: number,
  firstMoment: number,
  secondMoment: number,
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
  momentumBuffer: number,
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
  square: number,
  gradAverage: number,
  momentumBuffer: number,
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
export const RmspropFlag = { clip: 1, l2: 2, centered: 4, momentum: 8, epsInside: 16 } as const;

/** Flags of the Adam kernel (see kernel/optimizers.wat). */
export const AdamFlag = { clip: 1, l2: 2, decoupled: 4, amsgrad: 8 } as const;

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
 * The state buffers each optimizer keeps in kernel memory, by name, in the order its
 * kernel function takes them (see kernel/optimizers.wat).
 */
export const KERNEL_REGIONS = {
  adam: ['firstMoment', 'secondMoment', 'maxSecondMoment'],
  sgd: ['momentum'],
  rmsprop: ['squareAverage', 'gradAverage', 'momentum'],
} as const;

/** Which optimizer's kernel functions and state buffers a kernel holds. */
export type KernelLayout = keyof typeof KERNEL_REGIONS;

/** The names of one layout's state buffers. */
export type RegionName<L extends KernelLayout> = (typeof KERNEL_REGIONS)[L][number];

/**
 * One optimizer's WebAssembly state: params, the gradient and the optimizer's own
 * state buffers (named by its {@link KernelLayout}), each a typed-array view into one
 * memory that is sized once and never grows, so the views never detach.
 */
export class OptimizerKernel<L extends KernelLayout = KernelLayout> {
  /** The parameters (updated in place by the step functions). */
  readonly params: ParamArray;
  /** The gradient the next step reads. */
  readonly gradient: ParamArray;
  /** The optimizer's state buffers, by name. */
  readonly buffers: Readonly<Record<RegionName<L>, ParamArray>>;
  readonly memory: WasmMemory;
  private readonly paramsOffset: number;
  private readonly gradientOffset: number;
  /** Byte offsets of the state buffers, in the layout's order. */
  private readonly bufferOffsets: readonly number[];
  private readonly bytes: number;
  private readonly length: number;
  private readonly adamFunction: AdamFunction;
  private readonly adamPlainFunction: AdamPlainFunction;
  private readonly sgdFunction: SgdFunction;
  private readonly rmspropFunction: RmspropFunction;
  private readonly finiteFunction: (g: number, bytes: number) => number;
  private readonly sumSquaresFunction: (g: number, count: number) => number;

  private constructor(api: WasmApi, module: object, layout: L, length: number, float64: boolean) {
    const width = float64 ? 8 : 4;
    const names = KERNEL_REGIONS[layout] as readonly RegionName<L>[];
    // Each region padded to whole groups of four 16-byte vectors (the unrolled
    // loops' stride); the padding stays zero.
    const region = Math.ceil((length * width) / 64) * 64;
    const regions = names.length + 2;
    const pages = Math.max(1, Math.ceil((regions * region) / 65536));
    this.memory = new api.Memory({ initial: pages, maximum: pages });
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    const suffix = float64 ? 'f64' : 'f32';
    const exported = <F>(name: string) => instance.exports[`${name}_${suffix}`] as F;
    this.adamFunction = exported<AdamFunction>('adam');
    this.adamPlainFunction = exported<AdamPlainFunction>('adam_plain');
    this.sgdFunction = exported<SgdFunction>('sgd');
    this.rmspropFunction = exported<RmspropFunction>('rmsprop');
    this.finiteFunction = exported<(g: number, bytes: number) => number>('finite');
    this.sumSquaresFunction = exported<(g: number, count: number) => number>('sumsq');
    this.bytes = region;
    this.length = length;
    const View = float64 ? Float64Array : Float32Array;
    const view = (offset: number) => new View(this.memory.buffer, offset, length);
    this.paramsOffset = 0;
    this.bufferOffsets = names.map((_, k) => (k + 1) * region);
    this.gradientOffset = (names.length + 1) * region;
    this.params = view(this.paramsOffset);
    this.gradient = view(this.gradientOffset);
    const buffers = {} as Record<RegionName<L>, ParamArray>;
    names.forEach((name, k) => {
      buffers[name] = view(this.bufferOffsets[k]!);
    });
    this.buffers = buffers;
  }

  /**
   * @param layout - whose state buffers to hold (see {@link KERNEL_REGIONS}).
   * @param length - number of parameters.
   * @param float64 - f64x2 lanes when true, f32x4 otherwise.
   * @returns a kernel, or null where WebAssembly SIMD is unavailable.
   */
  static create<L extends KernelLayout>(
    layout: L,
    length: number,
    float64: boolean,
  ): OptimizerKernel<L> | null {
    const api = wasm();
    const module = kernelModule();
    if (!api || !module) return null;
    return new OptimizerKernel(api, module, layout, length, float64);
  }

  /** Whether every gradient entry is finite (one SIMD read pass). */
  finite(): boolean {
    return this.finiteFunction(this.gradientOffset, this.bytes) === 1;
  }

  /** Sum of squares of the gradient, in the JavaScript loop's order (one sequential read pass). */
  sumSquares(): number {
    return this.sumSquaresFunction(this.gradientOffset, this.length);
  }

  /** The fused Adam step over all parameters (scalars as in src/adam.ts). */
  stepAdam(
    this: OptimizerKernel<'adam'>,
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
    const [first, second, max] = this.bufferOffsets as [number, number, number];
    const p = this.paramsOffset;
    const g = this.gradientOffset;
    if (flags === 0 && scale === 1 && sign === 1) {
      this.adamPlainFunction(
        p,
        first,
        second,
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
    this.adamFunction(
      p,
      first,
      second,
      max,
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

  /** SGD over all parameters (as in src/sgd.ts). */
  stepSgd(
    this: OptimizerKernel<'sgd'>,
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    l2: number,
    momentum: number,
    oneMinusDampening: number,
    lr: number,
  ): void {
    this.sgdFunction(
      this.paramsOffset,
      this.bufferOffsets[0]!,
      this.gradientOffset,
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

  /** RMSProp over all parameters (as in src/rmsprop.ts). */
  stepRmsprop(
    this: OptimizerKernel<'rmsprop'>,
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
    const [square, gradAverage, momentumBuffer] = this.bufferOffsets as [number, number, number];
    this.rmspropFunction(
      this.paramsOffset,
      square,
      gradAverage,
      momentumBuffer,
      this.gradientOffset,
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
}

/** Which backend an optimizer runs on; see the core README. */
export type Backend = 'auto' | 'wasm' | 'js';

/**
 * Picks the kernel for `params` under a backend setting: the SIMD kernel from
 * {@link WASM_MIN_LENGTH} parameters up with `'auto'`, always with `'wasm'`
 * (throwing where WebAssembly SIMD is missing), never with `'js'`.
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

/**
 * Moves an optimizer's data in and out of its kernel: the gradient is copied in once
 * per step (by the finite check if it runs, else before the update), caller-owned
 * params are copied in before and out after the update.
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
