/**
 * JSON that keeps every float64 exactly: finite numbers already round-trip through
 * `JSON.stringify`, so only `NaN`, `±Infinity` and `-0` are written as `{"$f64": "NaN"}`
 * etc. Checkpoints use it, so a resumed run is bitwise the one that never stopped.
 *
 * @param value - plain data.
 * @returns the JSON text.
 * @example
 * ```ts
 * import { parseExact, stringifyExact } from './exact-json.js';
 * Object.is(parseExact(stringifyExact({ a: -0 })).a, -0); // true
 * ```
 */
export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'number') return item;
    if (Object.is(item, -0)) return { $f64: '-0' };
    return Number.isFinite(item) ? item : { $f64: String(item) };
  });
}

/**
 * Parses what {@link stringifyExact} wrote.
 *
 * @param text - the JSON text.
 * @returns the value, with `NaN`, `±Infinity` and `-0` restored.
 * @example
 * ```ts
 * import { parseExact } from './exact-json.js';
 * parseExact('{"x":{"$f64":"NaN"}}'); // { x: NaN }
 * ```
 */
export function parseExact(text: string): unknown {
  return JSON.parse(text, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const keys = Object.keys(item);
    if (keys.length !== 1 || keys[0] !== '$f64') return item;
    const tag = (item as { $f64: unknown }).$f64;
    if (tag === '-0') return -0;
    if (tag === 'NaN' || tag === 'Infinity' || tag === '-Infinity') return Number(tag);
    return item;
  });
}
