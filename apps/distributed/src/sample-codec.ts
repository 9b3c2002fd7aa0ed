import type { SampleBatch } from '@adamflow/stream';
import { DistributedError } from './errors.js';

/** The first four bytes of a sample message: `AFSB`. */
const MAGIC = 0x42534641;
/** The layout's version; a reader refuses any other. */
export const SAMPLE_CODEC_VERSION = 1;
/** Bytes before the first value. */
const HEADER = 24;

/**
 * Encodes a block of consecutive samples as one message, little-endian:
 *
 * | offset | type | field |
 * | --- | --- | --- |
 * | 0 | 4 bytes | magic `AFSB` |
 * | 4 | u8 | version (1) |
 * | 5 | u8 | 0 |
 * | 6 | u16 | features per sample |
 * | 8 | u32 | sample count |
 * | 12 | u32 | 0 |
 * | 16 | f64 | index of the first sample in its source (an integer) |
 * | 24 | f64 × count × features | features, row-major |
 * | … | f64 × count | targets |
 *
 * @param batch - the samples (as `SampleGenerator.nextBatch` returns them).
 * @returns the message body.
 * @example
 * ```ts
 * import { createGenerator, linearSpec } from '@adamflow/stream';
 * import { decodeSamples, encodeSamples } from './sample-codec.js';
 * const batch = createGenerator(linearSpec({ seed: 1 })).nextBatch(256);
 * decodeSamples(encodeSamples(batch)).count; // 256
 * ```
 */
export function encodeSamples(batch: SampleBatch): Uint8Array {
  const { features, count, x, y, start } = batch;
  if (!Number.isInteger(features) || features < 1 || features > 0xffff) {
    throw new RangeError(`features must be an integer in 1..65535, got ${features}`);
  }
  if (
    !Number.isInteger(count) ||
    count < 1 ||
    x.length !== count * features ||
    y.length !== count
  ) {
    throw new RangeError(
      `batch must hold count >= 1 rows of ${features} features, got count ${count}, ${x.length} features and ${y.length} targets`,
    );
  }
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new RangeError(`start must be a safe integer >= 0, got ${start}`);
  }
  const bytes = new Uint8Array(HEADER + 8 * count * (features + 1));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint8(4, SAMPLE_CODEC_VERSION);
  view.setUint16(6, features, true);
  view.setUint32(8, count, true);
  view.setFloat64(16, start, true);
  let offset = HEADER;
  for (let i = 0; i < x.length; i++, offset += 8) view.setFloat64(offset, x[i]!, true);
  for (let i = 0; i < count; i++, offset += 8) view.setFloat64(offset, y[i]!, true);
  return bytes;
}

/**
 * Decodes a message made by {@link encodeSamples}.
 *
 * @param bytes - the message body.
 * @param scratch - where to copy values that are not 8-byte aligned in memory, when it
 *   is large enough (else a new array); the batch is then valid until the next decode
 *   into it. A learner does not keep a batch, so a trainer reuses one scratch.
 * @returns the samples, as a batch `Learner.learnBatch` takes; its `x` and `y` may be views
 *   on `bytes` (no copy), so they change if `bytes` is written to.
 * @throws DistributedError `ADAMFLOW_ERR_SAMPLE_MESSAGE_INVALID` when the body is not such a message.
 * @example
 * ```ts
 * import { createGenerator, linearSpec } from '@adamflow/stream';
 * import { decodeSamples, encodeSamples } from './sample-codec.js';
 * const batch = decodeSamples(encodeSamples(createGenerator(linearSpec()).nextBatch(8)));
 * batch.start; // 0
 * ```
 */
export function decodeSamples(bytes: Uint8Array, scratch?: Float64Array): SampleBatch {
  const invalid = (why: string) =>
    new DistributedError(
      'ADAMFLOW_ERR_SAMPLE_MESSAGE_INVALID',
      `not an adamflow sample message: ${why}`,
    );
  if (bytes.byteLength < HEADER)
    throw invalid(`${bytes.byteLength} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw invalid('bad magic');
  const version = view.getUint8(4);
  if (version !== SAMPLE_CODEC_VERSION) {
    throw invalid(`layout version ${version}, this reader knows ${SAMPLE_CODEC_VERSION}`);
  }
  const features = view.getUint16(6, true);
  const count = view.getUint32(8, true);
  const start = view.getFloat64(16, true);
  if (features < 1 || count < 1) throw invalid(`${count} samples of ${features} features`);
  if (!Number.isSafeInteger(start) || start < 0) throw invalid(`start ${start}`);
  const expected = HEADER + 8 * count * (features + 1);
  if (bytes.byteLength !== expected) {
    throw invalid(
      `${bytes.byteLength} bytes, ${count} samples of ${features} features need ${expected}`,
    );
  }
  const values = float64Values(bytes, HEADER, count * (features + 1), scratch);
  const x = values.subarray(0, count * features);
  const y = values.subarray(count * features);
  return { kind: 'sample-batch', features, count, x, y, start };
}

/** Whether this machine stores a float64 the way the layout does (little-endian). */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * `length` float64 values from `offset` of `bytes`: a view on the message itself when
 * the machine is little-endian and the values are 8-byte aligned in memory (the
 * trainer's hot path decodes without copying), else one copy (a memcpy into `scratch`
 * when only misaligned, a value-by-value read on a big-endian machine).
 */
function float64Values(
  bytes: Uint8Array,
  offset: number,
  length: number,
  scratch: Float64Array | undefined,
): Float64Array {
  const at = bytes.byteOffset + offset;
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, at, length * 8);
    const values = new Float64Array(length);
    for (let i = 0; i < length; i++) values[i] = view.getFloat64(i * 8, true);
    return values;
  }
  if (at % 8 === 0) return new Float64Array(bytes.buffer, at, length);
  const values =
    scratch !== undefined && scratch.length >= length
      ? scratch.subarray(0, length)
      : new Float64Array(length);
  new Uint8Array(values.buffer, values.byteOffset, length * 8).set(
    bytes.subarray(offset, offset + length * 8),
  );
  return values;
}
