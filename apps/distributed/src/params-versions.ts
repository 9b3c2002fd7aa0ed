import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { DistributedError } from './errors.js';
import type { NatsContext } from './nats-context.js';
import type { SessionNames } from './session-names.js';

/** The first four bytes of a parameter version message: `AFPV`. */
const MAGIC = 0x56504641;
/** The layout's version; a reader refuses any other. */
export const PARAMS_VERSION_CODEC_VERSION = 1;
/** Bytes before the first parameter (a multiple of 8, so the values can be viewed in place). */
const HEADER = 32;
/** Versions the stream keeps: workers only ever want the latest. */
const KEEP = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Float64Array views on message bytes read the host's byte order; the layout is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** One parameter version of a gradient session: what workers compute their gradients at. */
export interface ParamsVersion {
  /** The gradient history (its stream's creation time) the version belongs to. */
  epoch: string;
  /** Optimizer steps applied: the version number gradients are tagged with. */
  step: number;
  /** The gradient stream sequence consumed up to it. */
  sequence: number;
  /** The parameters (on decode, a view on the message bytes when their alignment allows). */
  params: Float64Array;
}

/** Where a session's parameter versions live. */
export interface ParamsVersionNames {
  stream: string;
  subject: string;
}

/**
 * The stream and subject of a session's parameter versions: binary (8 bytes per
 * parameter, so that a model of 1e5 parameters fits a default 1 MB NATS message; the
 * viewers' JSON updates of such a model would not), and only the last few kept.
 *
 * @param names - the session's names.
 * @returns the stream and subject.
 * @example
 * ```ts
 * import { paramsVersionNames } from './params-versions.js';
 * import { sessionNames } from './session-names.js';
 * paramsVersionNames(sessionNames('demo')).subject; // 'adamflow.versions.demo'
 * ```
 */
export function paramsVersionNames(names: SessionNames): ParamsVersionNames {
  return {
    stream: `ADAMFLOW_VERSIONS_${names.session}`,
    subject: `adamflow.versions.${names.session}`,
  };
}

/**
 * Creates the session's parameter version stream unless it exists (the trainer and
 * the workers both may come first). On file storage, so that workers find the latest
 * version again after a broker restart.
 *
 * @param nats - an open context.
 * @param names - the session's names.
 * @example
 * ```ts
 * import { openParamsVersions } from './params-versions.js';
 * import { sessionNames } from './session-names.js';
 * declare const nats: import('./nats-context.js').NatsContext;
 * await openParamsVersions(nats, sessionNames('demo'));
 * ```
 */
export async function openParamsVersions(nats: NatsContext, names: SessionNames): Promise<void> {
  const { stream, subject } = paramsVersionNames(names);
  try {
    await nats.jsm.streams.info(stream);
  } catch {
    await nats.jsm.streams
      .add({
        name: stream,
        subjects: [subject],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_msgs: KEEP,
      })
      .catch(async (error: unknown) => {
        // A concurrent creator won; anything else is real.
        await nats.jsm.streams.info(stream).catch(() => {
          throw error;
        });
      });
  }
}

/**
 * Encodes a parameter version, little-endian:
 *
 * | offset | type | field |
 * | --- | --- | --- |
 * | 0 | 4 bytes | magic `AFPV` |
 * | 4 | u8 | version (1) |
 * | 5 | 3 bytes | 0 |
 * | 8 | u32 | parameters P |
 * | 12 | u32 | epoch bytes E |
 * | 16 | f64 | step (an integer) |
 * | 24 | f64 | gradient stream sequence (an integer) |
 * | 32 | f64 × P | the parameters |
 * | 32 + 8P | E bytes | the epoch, UTF-8 |
 *
 * @param version - the version.
 * @returns the message body.
 * @example
 * ```ts
 * import { decodeParamsVersion, encodeParamsVersion } from './params-versions.js';
 * const bytes = encodeParamsVersion({ epoch: 'e', step: 2, sequence: 5, params: new Float64Array([1, 2]) });
 * decodeParamsVersion(bytes).step; // 2
 * ```
 */
export function encodeParamsVersion(version: ParamsVersion): Uint8Array {
  const epoch = encoder.encode(version.epoch);
  const size = version.params.length;
  const bytes = new Uint8Array(HEADER + 8 * size + epoch.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint8(4, PARAMS_VERSION_CODEC_VERSION);
  view.setUint32(8, size, true);
  view.setUint32(12, epoch.byteLength, true);
  view.setFloat64(16, version.step, true);
  view.setFloat64(24, version.sequence, true);
  if (LITTLE_ENDIAN) new Float64Array(bytes.buffer, HEADER, size).set(version.params);
  else for (let i = 0; i < size; i++) view.setFloat64(HEADER + 8 * i, version.params[i]!, true);
  bytes.set(epoch, HEADER + 8 * size);
  return bytes;
}

/**
 * Decodes a message made by {@link encodeParamsVersion}; the parameters are a view on
 * `bytes` when they are 8-byte aligned (copy them before the bytes are reused).
 *
 * @param bytes - the message body.
 * @returns the version.
 * @throws DistributedError `ADAMFLOW_ERR_UPDATE_MESSAGE_INVALID` when the body is not one.
 * @example
 * ```ts
 * import { decodeParamsVersion } from './params-versions.js';
 * declare const bytes: Uint8Array;
 * decodeParamsVersion(bytes).params.length;
 * ```
 */
export function decodeParamsVersion(bytes: Uint8Array): ParamsVersion {
  const invalid = (why: string) =>
    new DistributedError(
      'ADAMFLOW_ERR_UPDATE_MESSAGE_INVALID',
      `not an adamflow parameter version: ${why}`,
    );
  if (bytes.byteLength < HEADER) throw invalid(`${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw invalid('bad magic');
  if (view.getUint8(4) !== PARAMS_VERSION_CODEC_VERSION) throw invalid('unknown layout version');
  const size = view.getUint32(8, true);
  const epochBytes = view.getUint32(12, true);
  if (bytes.byteLength !== HEADER + 8 * size + epochBytes) {
    throw invalid(`${bytes.byteLength} bytes for ${size} parameters`);
  }
  return {
    epoch: decoder.decode(bytes.subarray(HEADER + 8 * size)),
    step: view.getFloat64(16, true),
    sequence: view.getFloat64(24, true),
    params: float64s(bytes, HEADER, size),
  };
}

/**
 * `count` little-endian float64s from `bytes[offset ..]`: a view when the host is
 * little-endian and they are aligned, else one copy (no per-element DataView calls
 * on the common path).
 *
 * @param bytes - a message body.
 * @param offset - where the values start.
 * @param count - how many.
 * @returns the values.
 * @example
 * ```ts
 * import { float64s } from './params-versions.js';
 * float64s(new Uint8Array(16), 8, 1)[0]; // 0
 * ```
 */
export function float64s(bytes: Uint8Array, offset: number, count: number): Float64Array {
  const start = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN && start % 8 === 0) return new Float64Array(bytes.buffer, start, count);
  if (LITTLE_ENDIAN) {
    // Copied into a buffer of its own (a Node Buffer's `slice` would share the pool).
    const copy = new Uint8Array(8 * count);
    copy.set(bytes.subarray(offset, offset + 8 * count));
    return new Float64Array(copy.buffer);
  }
  const view = new DataView(bytes.buffer, start, 8 * count);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat64(8 * i, true);
  return values;
}
