import { DistributedError } from './errors.js';
import { float64s } from './params-versions.js';

/** The first four bytes of a gradient message: `AFGR`. */
const MAGIC = 0x52474641;
/** The layout's version; a reader refuses any other. */
export const GRADIENT_CODEC_VERSION = 1;
/** Bytes before the first gradient value. */
const HEADER = 40;

/** One gradient a worker computed, as published in a session's gradient stream. */
export interface GradientMessage {
  /** The parameter version (optimizer steps applied) the gradient was computed at. */
  step: number;
  /** The sample stream sequence of the message whose samples it averages. */
  sampleSequence: number;
  /** Samples averaged. */
  samples: number;
  /** Their mean loss at those parameters (before the step). */
  loss: number;
  /** The mean gradient, in the model's parameter layout. */
  gradient: Float64Array;
}

/**
 * Encodes a gradient message, little-endian:
 *
 * | offset | type | field |
 * | --- | --- | --- |
 * | 0 | 4 bytes | magic `AFGR` |
 * | 4 | u8 | version (1) |
 * | 5 | 3 bytes | 0 |
 * | 8 | u32 | parameters |
 * | 12 | u32 | samples averaged |
 * | 16 | f64 | parameter version (an integer) |
 * | 24 | f64 | sample stream sequence (an integer) |
 * | 32 | f64 | mean loss |
 * | 40 | f64 × parameters | the gradient |
 *
 * @param message - the gradient and its tags.
 * @returns the message body.
 * @throws RangeError when a tag is not a non-negative integer or the gradient is empty.
 * @example
 * ```ts
 * import { decodeGradient, encodeGradient } from './gradient-codec.js';
 * const bytes = encodeGradient({ step: 3, sampleSequence: 7, samples: 256, loss: 0.5, gradient: new Float64Array([1, 2]) });
 * decodeGradient(bytes).step; // 3
 * ```
 */
export function encodeGradient(message: GradientMessage): Uint8Array {
  const { step, sampleSequence, samples, loss, gradient } = message;
  for (const [name, value] of [
    ['step', step],
    ['sampleSequence', sampleSequence],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a safe integer >= 0, got ${value}`);
    }
  }
  if (!Number.isInteger(samples) || samples < 1 || samples > 0xffffffff) {
    throw new RangeError(`samples must be an integer >= 1, got ${samples}`);
  }
  if (gradient.length < 1) throw new RangeError('gradient must hold at least one value');
  const bytes = new Uint8Array(HEADER + 8 * gradient.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint8(4, GRADIENT_CODEC_VERSION);
  view.setUint32(8, gradient.length, true);
  view.setUint32(12, samples, true);
  view.setFloat64(16, step, true);
  view.setFloat64(24, sampleSequence, true);
  view.setFloat64(32, loss, true);
  // One copy of the values (the header keeps them 8-byte aligned), not a call per element.
  writeFloat64s(bytes, HEADER, gradient);
  return bytes;
}

/**
 * Decodes a message made by {@link encodeGradient}. The gradient is a view on `bytes`
 * when its values are 8-byte aligned there (a 1e5-parameter gradient is not copied):
 * copy it before the bytes are reused.
 *
 * @param bytes - the message body.
 * @returns the gradient and its tags.
 * @throws DistributedError `ADAMFLOW_ERR_GRADIENT_MESSAGE_INVALID` when the body is not such a message.
 * @example
 * ```ts
 * import { decodeGradient } from './gradient-codec.js';
 * declare const bytes: Uint8Array;
 * decodeGradient(bytes).gradient.length;
 * ```
 */
export function decodeGradient(bytes: Uint8Array): GradientMessage {
  const invalid = (why: string) =>
    new DistributedError(
      'ADAMFLOW_ERR_GRADIENT_MESSAGE_INVALID',
      `not an adamflow gradient message: ${why}`,
    );
  if (bytes.byteLength < HEADER)
    throw invalid(`${bytes.byteLength} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw invalid('bad magic');
  const version = view.getUint8(4);
  if (version !== GRADIENT_CODEC_VERSION) {
    throw invalid(`layout version ${version}, this reader knows ${GRADIENT_CODEC_VERSION}`);
  }
  const size = view.getUint32(8, true);
  const samples = view.getUint32(12, true);
  const step = view.getFloat64(16, true);
  const sampleSequence = view.getFloat64(24, true);
  if (size < 1 || samples < 1) throw invalid(`${size} parameters, ${samples} samples`);
  if (!Number.isSafeInteger(step) || step < 0) throw invalid(`step ${step}`);
  if (!Number.isSafeInteger(sampleSequence) || sampleSequence < 0) {
    throw invalid(`sample sequence ${sampleSequence}`);
  }
  if (bytes.byteLength !== HEADER + 8 * size) {
    throw invalid(`${bytes.byteLength} bytes, ${size} parameters need ${HEADER + 8 * size}`);
  }
  const gradient = float64s(bytes, HEADER, size);
  return { step, sampleSequence, samples, loss: view.getFloat64(32, true), gradient };
}

/** Writes `values` little-endian at `bytes[offset ..]` (a fresh buffer: aligned). */
function writeFloat64s(bytes: Uint8Array, offset: number, values: Float64Array): void {
  const target = float64s(bytes, offset, values.length);
  if (target.buffer === bytes.buffer) {
    target.set(values);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i]!, true);
}
