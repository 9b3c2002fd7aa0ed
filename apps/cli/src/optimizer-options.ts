import { createOptimizer, type OptimizerName } from '@adamflow/core';
import { UsageError } from './args.js';

/** An optimizer's extra options as `--optimizer-options` gives them. */
export type OptimizerOptionValues = Record<string, number | boolean | string>;

/**
 * Parses and checks `--optimizer-options`: `key=value` pairs separated by commas, each
 * value a number, `true`/`false`, or a word (for options that name a variant, such as
 * `epsPlacement=epsilon-hat`). The optimizer itself validates them: an unknown key or a
 * value out of range is a usage error carrying its message. `lr` has its own flag.
 *
 * @param text - the flag's value, or undefined when absent.
 * @param optimizer - the `--optimizer` they go to.
 * @param lr - the learning rate they go with (only to build the optimizer once).
 * @returns the options (empty when the flag is absent).
 * @throws UsageError saying which pair is wrong and what to pass.
 * @example
 * ```ts
 * optimizerOptions('alpha=0.9,epsPlacement=inside-sqrt', 'rmsprop', 0.1);
 * // { alpha: 0.9, epsPlacement: 'inside-sqrt' }
 * ```
 */
export function optimizerOptions(
  text: string | boolean | undefined,
  optimizer: OptimizerName,
  lr: number,
): OptimizerOptionValues {
  if (text === undefined) return {};
  const pairs = typeof text === 'string' ? text.split(',').map((pair) => pair.trim()) : [''];
  const options: OptimizerOptionValues = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=([^=\s]+)$/.exec(pair);
    if (!match) {
      throw new UsageError(
        `--optimizer-options takes key=value pairs separated by commas (e.g. alpha=0.9,epsPlacement=inside-sqrt), got ${JSON.stringify(pair)}`,
      );
    }
    const [, key, value] = match as unknown as [string, string, string];
    if (key === 'lr') throw new UsageError('--optimizer-options: give the learning rate with --lr');
    if (key in options) {
      throw new UsageError(`--optimizer-options: ${key} is given twice`);
    }
    options[key] = parseValue(value);
  }
  try {
    createOptimizer(optimizer, new Float64Array(1), { ...options, lr } as never);
  } catch (error) {
    throw new UsageError(`--optimizer-options for ${optimizer}: ${(error as Error).message}`);
  }
  return options;
}

function parseValue(text: string): number | boolean | string {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}
