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
/** A step taking region offsets, a byte count, flags, then f64 scalars (kernel/optimizers.wat). */
type StepFunction = (...args: number[]) => void;
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
/** Flags of the Adamax kernel. */
export const AdamaxFlag = { clip: 1, l2: 2 } as const;
/** Flags of the NAdam kernel. */
export const NAdamFlag = { clip: 1, l2: 2, decoupled: 4 } as const;
/** Flags of the RAdam kernel. */
export const RAdamFlag = { clip: 1, l2: 2, decoupled: 4, rectified: 8 } as const;

/** The kernel functions a range can run. */
const Step = { adam: 0, adamPlain: 1, sgd: 2, rmsprop: 3, adamax: 4, nadam: 5, radam: 6 } as const;

/** Bytes of each region's scratch pad: one unrolled iteration of the widest loop. */
const SCRATCH = 64;

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
  adamax: ['firstMoment', 'infinityNorm'],
  nadam: ['firstMoment', 'secondMoment'],
  radam: ['firstMoment', 'secondMoment'],
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
  /** Bytes of each region's data and padding (the scratch pad follows). */
  private readonly bytes: number;
  private readonly length: number;
  /** Bytes per parameter. */
  private readonly width: number;
  private readonly memoryBytes: Uint8Array;
  /** The step that runRange runs, and its scalars (set by stepAdam/stepSgd/stepRmsprop). */
  private pending: number = Step.adam;
  private pendingFlags = 0;
  private readonly scalars = new Float64Array(13);
  private readonly adamFunction: AdamFunction;
  private readonly adamPlainFunction: AdamPlainFunction;
  private readonly sgdFunction: SgdFunction;
  private readonly rmspropFunction: RmspropFunction;
  private readonly adamaxFunction: StepFunction;
  private readonly nadamFunction: StepFunction;
  private readonly radamFunction: StepFunction;
  private readonly finiteFunction: (g: number, bytes: number) => number;
  private readonly sumSquaresFunction: (g: number, count: number) => number;

  private constructor(api: WasmApi, module: object, layout: L, length: number, float64: boolean) {
    const width = float64 ? 8 : 4;
    const names = KERNEL_REGIONS[layout] as readonly RegionName<L>[];
    // Each region padded to whole groups of four 16-byte vectors (the unrolled
    // loops' stride); the padding stays zero. After each region's padding, a 64-byte
    // scratch pad at the same offset in every region: a group's range that does not
    // start or end on a 64-byte boundary steps its ragged ends there (see runRange).
    const region = Math.ceil((length * width) / 64) * 64;
    const stride = region + SCRATCH;
    const regions = names.length + 2;
    const pages = Math.max(1, Math.ceil((regions * stride) / 65536));
    this.memory = new api.Memory({ initial: pages, maximum: pages });
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    const suffix = float64 ? 'f64' : 'f32';
    const exported = <F>(name: string) => instance.exports[`${name}_${suffix}`] as F;
    this.adamFunction = exported<AdamFunction>('adam');
    this.adamPlainFunction = exported<AdamPlainFunction>('adam_plain');
    this.sgdFunction = exported<SgdFunction>('sgd');
    this.rmspropFunction = exported<RmspropFunction>('rmsprop');
    this.adamaxFunction = exported<StepFunction>('adamax');
    this.nadamFunction = exported<StepFunction>('nadam');
    this.radamFunction = exported<StepFunction>('radam');
    this.finiteFunction = exported<(g: number, bytes: number) => number>('finite');
    this.sumSquaresFunction = exported<(g: number, count: number) => number>('sumsq');
    this.bytes = region;
    this.length = length;
    this.width = width;
    this.memoryBytes = new Uint8Array(this.memory.buffer);
    const View = float64 ? Float64Array : Float32Array;
    const view = (offset: number) => new View(this.memory.buffer, offset, length);
    this.paramsOffset = 0;
    this.bufferOffsets = names.map((_, k) => (k + 1) * stride);
    this.gradientOffset = (names.length + 1) * stride;
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

  /**
   * The fused Adam step over parameters `[from, to)` (scalars as in src/adam.ts).
   * @param from - the first parameter of the range.
   * @param to - one past its last parameter.
   */
  stepAdam(
    this: OptimizerKernel<'adam'>,
    from: number,
    to: number,
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
    const x = this.scalars;
    x[0] = scale;
    x[1] = bound;
    x[2] = sign;
    x[3] = decay;
    x[4] = l2;
    x[5] = beta1;
    x[6] = beta2;
    x[7] = stepSize;
    x[8] = invBias2Sqrt;
    x[9] = eps;
    this.pending = flags === 0 && scale === 1 && sign === 1 ? Step.adamPlain : Step.adam;
    this.pendingFlags = flags;
    this.runRange(from, to);
  }

  /** SGD over parameters `[from, to)` (as in src/sgd.ts). */
  stepSgd(
    this: OptimizerKernel<'sgd'>,
    from: number,
    to: number,
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    l2: number,
    momentum: number,
    oneMinusDampening: number,
    lr: number,
  ): void {
    const x = this.scalars;
    x[0] = scale;
    x[1] = bound;
    x[2] = sign;
    x[3] = l2;
    x[4] = momentum;
    x[5] = oneMinusDampening;
    x[6] = lr;
    this.pending = Step.sgd;
    this.pendingFlags = flags;
    this.runRange(from, to);
  }

  /** RMSProp over parameters `[from, to)` (as in src/rmsprop.ts). */
  stepRmsprop(
    this: OptimizerKernel<'rmsprop'>,
    from: number,
    to: number,
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
    const x = this.scalars;
    x[0] = scale;
    x[1] = bound;
    x[2] = sign;
    x[3] = l2;
    x[4] = alpha;
    x[5] = eps;
    x[6] = momentum;
    x[7] = lr;
    this.pending = Step.rmsprop;
    this.pendingFlags = flags;
    this.runRange(from, to);
  }

  /** Adamax over parameters `[from, to)` (as in src/adamax.ts). */
  stepAdamax(
    this: OptimizerKernel<'adamax'>,
    from: number,
    to: number,
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    l2: number,
    beta1: number,
    beta2: number,
    eps: number,
    stepSize: number,
  ): void {
    this.setScalars(scale, bound, sign, l2, beta1, beta2, eps, stepSize);
    this.pending = Step.adamax;
    this.pendingFlags = flags;
    this.runRange(from, to);
  }

  /** NAdam over parameters `[from, to)` (as in src/nadam.ts). */
  stepNAdam(
    this: OptimizerKernel<'nadam'>,
    from: number,
    to: number,
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    decay: number,
    l2: number,
    beta1: number,
    beta2: number,
    invBias2Sqrt: number,
    eps: number,
    gradStep: number,
    momentStep: number,
  ): void {
    this.setScalars(scale, bound, sign, decay, l2, beta1, beta2, invBias2Sqrt, eps);
    this.scalars[9] = gradStep;
    this.scalars[10] = momentStep;
    this.pending = Step.nadam;
    this.pendingFlags = flags;
    this.runRange(from, to);
  }

  /** RAdam over parameters `[from, to)` (as in src/radam.ts). */
  stepRAdam(
    this: OptimizerKernel<'radam'>,
    from: number,
    to: number,
    flags: number,
    scale: number,
    bound: number,
    sign: number,
    decay: number,
    l2: number,
    beta1: number,
    beta2: number,
    eps: number,
    stepSize: number,
  ): void {
    this.setScalars(scale, bound, sign, decay, l2, beta1, beta2, eps, stepSize);
    this.pending = Step.radam;
    this.pendingFlags = flags;
    this.runRange(from, to);
  }

  private setScalars(...values: number[]): void {
    this.scalars.set(values);
  }

  /**
   * Runs the pending step over `[from, to)`. The kernel's loops move whole 16-byte
   * vectors (64 bytes at a time in Adam's common case), so a range is split: its
   * 64-byte-aligned body runs in place; its ragged ends (under 64 bytes each) are
   * copied to the scratch pads, stepped there, and copied back, so no parameter outside
   * the range is touched and every parameter sees the very same lane arithmetic. The
   * whole vector (one group) is one call, as it always was.
   */
  private runRange(from: number, to: number): void {
    if (from === 0 && to === this.length) {
      this.invoke(0, this.bytes);
      return;
    }
    const start = from * this.width;
    const end = to * this.width;
    const bodyStart = Math.ceil(start / SCRATCH) * SCRATCH;
    // The last range may run on through the zero padding, as the whole vector does.
    const bodyEnd = Math.max(
      bodyStart,
      to === this.length ? this.bytes : Math.floor(end / SCRATCH) * SCRATCH,
    );
    const headEnd = Math.min(end, bodyStart);
    if (headEnd > start) this.invokeOnScratch(start, headEnd);
    if (bodyEnd > bodyStart) this.invoke(bodyStart, bodyEnd - bodyStart);
    if (end > bodyEnd) this.invokeOnScratch(bodyEnd, end);
  }

  /** Copies bytes `[start, end)` of every region to its scratch pad, steps, copies back. */
  private invokeOnScratch(start: number, end: number): void {
    const memory = this.memoryBytes;
    const scratch = this.bytes;
    const offsets = this.bufferOffsets;
    memory.copyWithin(
      this.paramsOffset + scratch,
      this.paramsOffset + start,
      this.paramsOffset + end,
    );
    memory.copyWithin(
      this.gradientOffset + scratch,
      this.gradientOffset + start,
      this.gradientOffset + end,
    );
    for (let k = 0; k < offsets.length; k++) {
      const base = offsets[k]!;
      memory.copyWithin(base + scratch, base + start, base + end);
    }
    this.invoke(scratch, SCRATCH);
    const length = end - start;
    memory.copyWithin(
      this.paramsOffset + start,
      this.paramsOffset + scratch,
      this.paramsOffset + scratch + length,
    );
    for (let k = 0; k < offsets.length; k++) {
      const base = offsets[k]!;
      memory.copyWithin(base + start, base + scratch, base + scratch + length);
    }
  }

  /** Calls the pending step's function on `bytes` bytes from byte `at` of every region. */
  private invoke(at: number, bytes: number): void {
    const x = this.scalars;
    const flags = this.pendingFlags;
    const p = this.paramsOffset + at;
    const g = this.gradientOffset + at;
    const offsets = this.bufferOffsets;
    const b0 = offsets[0] ?? 0;
    const b1 = offsets[1] ?? 0;
    const b2 = offsets[2] ?? 0;
    switch (this.pending) {
      case Step.adamPlain:
        this.adamPlainFunction(
          p,
          b0 + at,
          b1 + at,
          g,
          bytes,
          x[5]!,
          1 - x[5]!,
          x[6]!,
          1 - x[6]!,
          x[7]!,
          x[8]!,
          x[9]!,
        );
        return;
      case Step.adam:
        this.adamFunction(
          p,
          b0 + at,
          b1 + at,
          b2 + at,
          g,
          bytes,
          flags,
          x[0]!,
          x[1]!,
          x[2]!,
          x[3]!,
          x[4]!,
          x[5]!,
          1 - x[5]!,
          x[6]!,
          1 - x[6]!,
          x[7]!,
          x[8]!,
          x[9]!,
        );
        return;
      case Step.sgd:
        this.sgdFunction(
          p,
          b0 + at,
          g,
          bytes,
          flags,
          x[0]!,
          x[1]!,
          x[2]!,
          x[3]!,
          x[4]!,
          x[5]!,
          x[6]!,
        );
        return;
      case Step.adamax:
        // scale, bound, sign, l2, beta1, 1 - beta1, beta2, eps, stepSize
        this.adamaxFunction(
          p,
          b0 + at,
          b1 + at,
          g,
          bytes,
          flags,
          x[0]!,
          x[1]!,
          x[2]!,
          x[3]!,
          x[4]!,
          1 - x[4]!,
          x[5]!,
          x[6]!,
          x[7]!,
        );
        return;
      case Step.nadam:
        // scale, bound, sign, decay, l2, beta1, 1 - beta1, beta2, 1 - beta2, invBias2Sqrt, eps, gradStep, momentStep
        this.nadamFunction(
          p,
          b0 + at,
          b1 + at,
          g,
          bytes,
          flags,
          x[0]!,
          x[1]!,
          x[2]!,
          x[3]!,
          x[4]!,
          x[5]!,
          1 - x[5]!,
          x[6]!,
          1 - x[6]!,
          x[7]!,
          x[8]!,
          x[9]!,
          x[10]!,
        );
        return;
      case Step.radam:
        // scale, bound, sign, decay, l2, beta1, 1 - beta1, beta2, 1 - beta2, eps, stepSize
        this.radamFunction(
          p,
          b0 + at,
          b1 + at,
          g,
          bytes,
          flags,
          x[0]!,
          x[1]!,
          x[2]!,
          x[3]!,
          x[4]!,
          x[5]!,
          1 - x[5]!,
          x[6]!,
          1 - x[6]!,
          x[7]!,
          x[8]!,
        );
        return;
      case Step.rmsprop:
        this.rmspropFunction(
          p,
          b0 + at,
          b1 + at,
          b2 + at,
          g,
          bytes,
          flags,
          x[0]!,
          x[1]!,
          x[2]!,
          x[3]!,
          x[4]!,
          1 - x[4]!,
          x[5]!,
          x[6]!,
          x[7]!,
        );
        return;
    }
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
