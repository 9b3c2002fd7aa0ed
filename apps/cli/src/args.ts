import { parseArgs } from 'node:util';

/** A usage error: the CLI prints its message and exits with code 2. */
export class UsageError extends Error {}

/** The flags one command takes: each a string value or a boolean switch. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/**
 * Parses argv strictly. A value that starts with a dash (`--samples -5`) is taken as
 * the flag's value, so the flag's own check can say what is wrong with it (Node's
 * parser would call it an ambiguous argument).
 *
 * @param argv - the arguments (a leading `--`, as `pnpm train -- ...` passes, is dropped).
 * @param flags - the flags.
 * @returns the values by flag name.
 * @throws UsageError for an unknown flag or a missing value.
 */
export function parseFlags(
  argv: string[],
  flags: FlagSpec,
): Record<string, string | boolean | undefined> {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const next = args[i + 1];
    if (flags[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  try {
    return parseArgs({ args: joined, options: flags, strict: true }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Reads an integer flag in [min, max]; the message states the range. */
export function integerFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (
    typeof text !== 'string' ||
    text.trim() === '' ||
    !Number.isSafeInteger(n) ||
    n < min ||
    n > max
  ) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be an integer ${range}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** Reads a positive finite number flag. */
export function positiveFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !(Number.isFinite(n) && n > 0)) {
    throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  }
  return n;
}
