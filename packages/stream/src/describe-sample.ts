// How a refused sample is named in error messages.

/**
 * The sample's ` index`, when it has one, for messages.
 *
 * @param sample - the sample as given.
 * @returns `' 12'`, or `''`.
 * @example
 * ```ts
 * describeIndex({ index: 12 }); // ' 12'
 * ```
 * @internal
 */
export function describeIndex(sample: unknown): string {
  const index = (sample as { index?: unknown } | null)?.index;
  return index === undefined ? '' : ` ${String(index)}`;
}

/**
 * A sample (or its `x`) as text, at most 200 characters: like JSON, but NaN and the
 * infinities print as themselves (JSON would print null).
 *
 * @param sample - the value as given.
 * @returns its description.
 * @example
 * ```ts
 * describeSample({ x: [Number.NaN], y: 1 }); // '{"x":[NaN],"y":1}'
 * ```
 * @internal
 */
export function describeSample(sample: unknown): string {
  try {
    const text = JSON.stringify(sample, (_key, value: unknown) =>
      typeof value === 'number' && !Number.isFinite(value)
        ? `«${String(value)}»`
        : ArrayBuffer.isView(value)
          ? Array.from(value as unknown as ArrayLike<number>)
          : value,
    );
    return (text ?? String(sample)).replace(/"«(.*?)»"/g, '$1').slice(0, 200);
  } catch {
    return String(sample);
  }
}
