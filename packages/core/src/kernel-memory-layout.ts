// Where each optimizer's arrays live in its kernel's memory.

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

/** Bytes of each region's scratch pad: one unrolled iteration of the widest loop. */
export const SCRATCH = 64;

/** Byte offsets and sizes of one kernel's memory. @internal */
export interface KernelMemoryLayout {
  /** Bytes of each region's data and padding (its scratch pad follows). */
  readonly bytes: number;
  /** 64 KiB pages of the whole memory. */
  readonly pages: number;
  readonly paramsOffset: number;
  readonly gradientOffset: number;
  /** Byte offsets of the state buffers, in the layout's order. */
  readonly bufferOffsets: readonly number[];
}

/**
 * Lays out params, the state buffers and the gradient, in that order. Each region is
 * padded to whole groups of four 16-byte vectors (the unrolled loops' stride); the
 * padding stays zero. After each region's padding, a 64-byte scratch pad at the same
 * offset in every region: a group's range that does not start or end on a 64-byte
 * boundary steps its ragged ends there (see OptimizerKernel).
 *
 * @param buffers - the number of state buffers.
 * @param length - the number of parameters.
 * @param width - bytes per parameter (4 or 8).
 * @returns the offsets and the memory's size.
 * @example
 * ```ts
 * kernelMemoryLayout(2, 10, 4).bufferOffsets; // [128, 256]
 * ```
 * @internal
 */
export function kernelMemoryLayout(
  buffers: number,
  length: number,
  width: number,
): KernelMemoryLayout {
  const bytes = Math.ceil((length * width) / 64) * 64;
  const stride = bytes + SCRATCH;
  const regions = buffers + 2;
  return {
    bytes,
    pages: Math.max(1, Math.ceil((regions * stride) / 65536)),
    paramsOffset: 0,
    gradientOffset: (buffers + 1) * stride,
    bufferOffsets: Array.from({ length: buffers }, (_, k) => (k + 1) * stride),
  };
}
