// Option checks shared by every optimizer. Each message names the option, says what
// it must be and echoes what it got, so the fix is obvious from the message alone.

/** Renders a received value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value;
}

function requireNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  return value;
}

/** A finite number strictly greater than zero. */
export function positiveFinite(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (!(Number.isFinite(n) && n > 0)) {
    throw new RangeError(`${name} must be a positive finite number, got ${describe(n)}`);
  }
  return n;
}

/** A finite number greater than or equal to zero. */
export function nonNegativeFinite(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (!(Number.isFinite(n) && n >= 0)) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${describe(n)}`);
  }
  return n;
}

/** A number in [0, 1), as the betas and momentum coefficients must be. */
export function unitInterval(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (!(n >= 0 && n < 1)) {
    throw new RangeError(`${name} must be in [0, 1), got ${describe(n)}`);
  }
  return n;
}

/** A number in [0, 1], as dampening may be. */
export function closedUnitInterval(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (!(n >= 0 && n <= 1)) {
    throw new RangeError(`${name} must be in [0, 1], got ${describe(n)}`);
  }
  return n;
}

/** A boolean; a truthy string or number is refused rather than guessed at. */
export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
  }
  return value;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const list = allowed.map((a) => `'${a}'`).join(', ');
    throw new TypeError(`${name} must be one of ${list}, got ${describe(value)}`);
  }
  return value as T;
}

/** Refuses option keys the optimizer does not know, which are nearly always typos. */
export function knownKeys(where: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(
        `${where}: unknown option '${key}'; the options are ${allowed.join(', ')}`,
      );
    }
  }
}
