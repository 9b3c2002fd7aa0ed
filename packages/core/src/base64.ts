// Lossless, dependency-free typed-array <-> base64 (little-endian) for snapshots.
// Node's Buffer is not available in browsers and atob/btoa need a binary string per
// byte, so this small codec keeps `@adamflow/core` free of globals and dependencies.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(array: Float32Array | Float64Array): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const copy = new Uint8Array(array.byteLength);
  const view = new DataView(copy.buffer);
  for (let i = 0; i < array.length; i++) {
    if (array instanceof Float64Array) view.setFloat64(i * 8, array[i]!, true);
    else view.setFloat32(i * 4, array[i]!, true);
  }
  return copy;
}

/** Encodes the exact bytes of a float array as base64, little-endian. */
export function encodeFloats(array: Float32Array | Float64Array): string {
  const bytes = littleEndianBytes(array);
  const parts: string[] = [];
  let chunk = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk +=
      ALPHABET[(n >> 18) & 63]! +
      ALPHABET[(n >> 12) & 63]! +
      ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    chunk += `${ALPHABET[(n >> 18) & 63]!}${ALPHABET[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    chunk += `${ALPHABET[(n >> 18) & 63]!}${ALPHABET[(n >> 12) & 63]!}${ALPHABET[(n >> 6) & 63]!}=`;
  }
  parts.push(chunk);
  return parts.join('');
}

/**
 * Decodes base64 written by {@link encodeFloats} into `target`.
 * Returns false (and leaves `target` untouched) when the text is not valid base64
 * of exactly `target.byteLength` bytes.
 */
export function decodeFloatsInto(text: string, target: Float32Array | Float64Array): boolean {
  const bytes = decodeBytes(text);
  if (bytes === undefined || bytes.length !== target.byteLength) return false;
  const view = new DataView(bytes.buffer);
  const width = target.BYTES_PER_ELEMENT;
  for (let i = 0; i < target.length; i++) {
    target[i] = width === 8 ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true);
  }
  return true;
}

/** Checks that `text` decodes to exactly `byteLength` bytes, without keeping them. */
export function isFloatsOfLength(text: unknown, byteLength: number): boolean {
  if (typeof text !== 'string') return false;
  const bytes = decodeBytes(text);
  return bytes !== undefined && bytes.length === byteLength;
}

/**
 * Decodes padded base64 into bytes; undefined when the text is not valid base64.
 * @internal
 */
export function decodeBytes(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const code = text.charCodeAt(i + j);
      let digit: number;
      if (code === 61 /* '=' */ && i + 4 === text.length && j >= 4 - padding) digit = 0;
      else digit = code < 128 ? LOOKUP[code]! : -1;
      if (digit < 0) return undefined;
      n = (n << 6) | digit;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
