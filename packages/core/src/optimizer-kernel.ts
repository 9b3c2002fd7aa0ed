// One optimizer's instance of the WebAssembly SIMD kernel: its memory, its views and
// the calls into its step function.

import {
  KERNEL_REGIONS,
  type KernelLayout,
  kernelMemoryLayout,
  type RegionName,
  SCRATCH,
} from './kernel-memory-layout.js';
import { kernelModule, type WasmApi, type WasmMemory, wasmApi } from './kernel-module.js';
import type { ParamArray } from './param-array.js';

/** A kernel function's export (without its `_f32`/`_f64` suffix) and the arguments it takes. */
interface KernelFunction {
  readonly name: string;
  /** How many of the layout's state buffers it takes (the first ones). */
  readonly regions: number;
  /** Whether it takes the flags. */
  readonly flags: boolean;
  /** How many of the leading step scalars it does without. */
  readonly skip: number;
}

/**
 * Each layout's step function and, where the kernel has one, its plain twin for the
 * common case (no flag set, scale and sign exactly 1): the same arithmetic without
 * clipping, sign or weight decay, taking no flags and none of the five leading scalars.
 *
 * Every step function takes `(params, ...state buffers, gradient, bytes[, flags],
 * ...scalars)`: byte offsets, a byte count, an i32 of flag bits, then f64 scalars.
 * A flagged step's scalars start with `scale, bound, sign`.
 */
const KERNEL_FUNCTIONS: Record<KernelLayout, { step: KernelFunction; plain?: KernelFunction }> = {
  adam: {
    step: { name: 'adam', regions: 3, flags: true, skip: 0 },
    plain: { name: 'adam_plain', regions: 2, flags: false, skip: 5 },
  },
  sgd: { step: { name: 'sgd', regions: 1, flags: true, skip: 0 } },
  rmsprop: { step: { name: 'rmsprop', regions: 3, flags: true, skip: 0 } },
  adamax: { step: { name: 'adamax', regions: 2, flags: true, skip: 0 } },
  nadam: {
    step: { name: 'nadam', regions: 2, flags: true, skip: 0 },
    plain: { name: 'nadam_plain', regions: 2, flags: false, skip: 5 },
  },
  radam: { step: { name: 'radam', regions: 2, flags: true, skip: 0 } },
};

/** The most arguments any step function takes (Adam's). */
const MAX_ARGUMENTS = 19;

/** A step function of the instance; it ignores arguments past its own, as WebAssembly does. */
type StepFunction = (...args: number[]) => void;

/** A kernel function bound to this instance's export. */
interface BoundFunction extends KernelFunction {
  readonly call: StepFunction;
}

/**
 * One optimizer's WebAssembly state: params, the gradient and the optimizer's own
 * state buffers (named by its {@link KernelLayout}), each a typed-array view into one
 * memory that is sized once and never grows, so the views never detach.
 * @internal
 */
export class OptimizerKernel<L extends KernelLayout = KernelLayout> {
  /** The parameters (updated in place by `step`). */
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
  private readonly stepFunction: BoundFunction;
  private readonly plainFunction: BoundFunction | null;
  /** The function that `invoke` calls, set by `step`. */
  private pending: BoundFunction;
  /** Its arguments; `invoke` fills in the offsets and the byte count. */
  private readonly args: number[] = new Array<number>(MAX_ARGUMENTS).fill(0);
  private readonly finiteFunction: (g: number, bytes: number) => number;
  private readonly sumSquaresFunction: (g: number, count: number) => number;

  private constructor(api: WasmApi, module: object, layout: L, length: number, float64: boolean) {
    const width = float64 ? 8 : 4;
    const names = KERNEL_REGIONS[layout] as readonly RegionName<L>[];
    const memoryLayout = kernelMemoryLayout(names.length, length, width);
    this.memory = new api.Memory({ initial: memoryLayout.pages, maximum: memoryLayout.pages });
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    const suffix = float64 ? 'f64' : 'f32';
    const exported = <F>(name: string) => instance.exports[`${name}_${suffix}`] as F;
    const bind = (f: KernelFunction): BoundFunction => ({ ...f, call: exported(f.name) });
    const functions = KERNEL_FUNCTIONS[layout];
    this.stepFunction = bind(functions.step);
    this.plainFunction = functions.plain ? bind(functions.plain) : null;
    this.pending = this.stepFunction;
    this.finiteFunction = exported('finite');
    this.sumSquaresFunction = exported('sumsq');
    this.bytes = memoryLayout.bytes;
    this.length = length;
    this.width = width;
    this.memoryBytes = new Uint8Array(this.memory.buffer);
    this.paramsOffset = memoryLayout.paramsOffset;
    this.gradientOffset = memoryLayout.gradientOffset;
    this.bufferOffsets = memoryLayout.bufferOffsets;
    const View = float64 ? Float64Array : Float32Array;
    const view = (offset: number) => new View(this.memory.buffer, offset, length);
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
   * @example
   * ```ts
   * const kernel = OptimizerKernel.create('adam', 1000, false); // f32 lanes
   * ```
   */
  static create<L extends KernelLayout>(
    layout: L,
    length: number,
    float64: boolean,
  ): OptimizerKernel<L> | null {
    const api = wasmApi();
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
   * The layout's fused step over parameters `[from, to)`.
   * @param from - the first parameter of the range.
   * @param to - one past its last parameter.
   * @param flags - the kernel's flag bits (see kernel-flags.ts).
   * @param scalars - the step function's f64 arguments, in its order (see kernel/optimizers.wat).
   */
  step(from: number, to: number, flags: number, scalars: readonly number[]): void {
    const plain = this.plainFunction;
    const f =
      plain && flags === 0 && scalars[0] === 1 && scalars[2] === 1 ? plain : this.stepFunction;
    const args = this.args;
    let at = f.regions + 3;
    if (f.flags) args[at++] = flags;
    for (let k = f.skip; k < scalars.length; k++) args[at++] = scalars[k]!;
    this.pending = f;
    this.runRange(from, to);
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

  /** Calls the pending step function on `bytes` bytes from byte `at` of every region. */
  private invoke(at: number, bytes: number): void {
    const f = this.pending;
    const a = this.args;
    const offsets = this.bufferOffsets;
    a[0] = this.paramsOffset + at;
    for (let k = 0; k < f.regions; k++) a[k + 1] = offsets[k]! + at;
    a[f.regions + 1] = this.gradientOffset + at;
    a[f.regions + 2] = bytes;
    // Always every argument slot, as plain arguments (no spread, no allocation): a
    // function that takes fewer ignores the rest.
    f.call(
      a[0]!,
      a[1]!,
      a[2]!,
      a[3]!,
      a[4]!,
      a[5]!,
      a[6]!,
      a[7]!,
      a[8]!,
      a[9]!,
      a[10]!,
      a[11]!,
      a[12]!,
      a[13]!,
      a[14]!,
      a[15]!,
      a[16]!,
      a[17]!,
      a[18]!,
    );
  }
}
