// Parameter groups, as PyTorch's param_groups: index ranges of the one parameter vector,
// each stepping with its own options. This file checks their shape; the optimizer
// validates the values with its own rules and holds the resolved groups.
import { describe, knownKeys } from './validate.js';

/** The options a parameter group may set: every hyperparameter but the whole-vector ones. */
export type GroupOptions<Options> = Omit<
  Options,
  'groups' | 'clipValue' | 'clipNorm' | 'nonFinite'
>;

/**
 * One parameter group: the half-open index range `[from, to)` of the parameter vector
 * it covers, and the options it sets for itself (lr or a schedule, weightDecay, betas,
 * eps, momentum, ...). Options it leaves out follow the optimizer's top-level options,
 * as PyTorch's constructor defaults do. Gradient clipping (`clipValue`, `clipNorm`) and
 * `nonFinite` act on the whole vector and are top-level only.
 *
 * @example
 * ```ts
 * import { Adam } from '@adamflow/core';
 * // 10 parameters: the first 8 weights decay, the last 2 (biases) train faster, undecayed
 * const opt = new Adam(new Float64Array(10), {
 *   lr: 1e-3,
 *   weightDecay: 0.01,
 *   groups: [{ range: [0, 8] }, { range: [8, 10], lr: 1e-2, weightDecay: 0 }],
 * });
 * ```
 */
export type ParamGroup<Options> = GroupOptions<Options> & {
  /** `[from, to)`: integers with `0 <= from < to <= params.length`. */
  readonly range: readonly [number, number];
};

/** What `optimizer.groups` reports of each group. */
export interface GroupInfo<Resolved> {
  /** `[from, to)`, as given. */
  readonly range: readonly [number, number];
  /** The options this group steps with: its own over the top-level ones. */
  readonly options: Readonly<Resolved>;
  /** The learning rate this group's last applied step used (NaN before the first). */
  readonly lastLr: number;
}

/** A group as an optimizer holds it. @internal */
export interface HeldGroup<Resolved> {
  readonly from: number;
  readonly to: number;
  /** The options the group set itself; the rest follow the top-level options. */
  own: Record<string, unknown>;
  /** The top-level options overridden by `own`, validated. */
  hyper: Resolved;
  /** This step's learning rate (set by `step()` before `update()`). */
  lr: number;
  /** The learning rate the last applied step used (NaN before the first). */
  lastLr: number;
}

/** The options every optimizer's groups may set besides the optimizer's own. */
export const GROUP_COMMON_KEYS: readonly string[] = ['lr', 'weightDecay', 'maximize'];

/** A group's range and its own options, shape-checked, values not yet validated. */
export interface GroupSpec {
  readonly from: number;
  readonly to: number;
  readonly own: Record<string, unknown>;
}

/**
 * Checks the `groups` option: a non-empty array of objects whose ranges are disjoint
 * and cover `[0, length)`, with only known option keys.
 *
 * @param name - the optimizer's kind, for messages.
 * @param groups - the option as given.
 * @param length - the number of parameters.
 * @param allowed - the option keys a group may set.
 * @returns one spec per group, in the order given (that order is the group index).
 * @throws TypeError or RangeError saying what is wrong and how to fix it.
 */
export function parseGroups(
  name: string,
  groups: unknown,
  length: number,
  allowed: readonly string[],
): GroupSpec[] {
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new TypeError(
      `${name}: groups must be a non-empty array of { range: [from, to], ...options }, got ${describe(groups)}`,
    );
  }
  const specs = groups.map((group: unknown, k) => {
    const where = `${name}: groups[${k}]`;
    if (group === null || typeof group !== 'object' || Array.isArray(group)) {
      throw new TypeError(
        `${where} must be an object { range: [from, to], ...options }, got ${describe(group)}`,
      );
    }
    const { range, ...own } = group as { range?: unknown } & Record<string, unknown>;
    knownKeys(where, own, allowed);
    return { ...checkRange(where, range, length), own: stripUndefined(own) };
  });
  checkCoverage(name, specs, length);
  return specs;
}

function checkRange(where: string, range: unknown, length: number): { from: number; to: number } {
  const pair = Array.isArray(range) && range.length === 2 ? range : null;
  const [from, to] = (pair ?? []) as unknown[];
  if (
    !Number.isInteger(from) ||
    !Number.isInteger(to) ||
    !((from as number) >= 0 && (from as number) < (to as number) && (to as number) <= length)
  ) {
    const got = pair ? `[${pair.map(describe).join(', ')}]` : describe(range);
    throw new RangeError(
      `${where}.range must be [from, to] with integers 0 <= from < to <= ${length} (half-open, to excluded), got ${got}`,
    );
  }
  return { from: from as number, to: to as number };
}

function checkCoverage(name: string, specs: readonly GroupSpec[], length: number): void {
  const order = specs.map((_, k) => k).sort((a, b) => specs[a]!.from - specs[b]!.from);
  let covered = 0;
  let previous = -1;
  for (const k of order) {
    const { from, to } = specs[k]!;
    if (from < covered) {
      const other = specs[previous]!;
      throw new RangeError(
        `${name}: groups[${k}].range [${from}, ${to}) overlaps groups[${previous}].range [${other.from}, ${other.to}); the ranges must be disjoint`,
      );
    }
    if (from > covered) {
      throw new RangeError(
        `${name}: no group covers [${covered}, ${from}); the groups' ranges must cover all ${length} parameters`,
      );
    }
    covered = to;
    previous = k;
  }
  if (covered < length) {
    throw new RangeError(
      `${name}: no group covers [${covered}, ${length}); the groups' ranges must cover all ${length} parameters`,
    );
  }
}

/**
 * Checks the arguments of `setGroup(index, options)`: an existing group's index, and
 * options a group may set (not its range, which is fixed).
 *
 * @param name - the optimizer's kind, for messages.
 * @param index - the group's index as given.
 * @param count - how many groups there are.
 * @param options - the options as given.
 * @param allowed - the option keys a group may set.
 * @throws TypeError or RangeError saying what is wrong and how to fix it.
 * @example
 * ```ts
 * checkGroupUpdate('adam', 2, 2, { lr: 0.1 }, ['lr']); // RangeError: index must be ... 0 to 1
 * ```
 * @internal
 */
export function checkGroupUpdate(
  name: string,
  index: number,
  count: number,
  options: unknown,
  allowed: readonly string[],
): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `${name}.setGroup: index must be an integer from 0 to ${count - 1}, got ${describe(index)}`,
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${name}.setGroup: options must be an object, got ${describe(options)}`);
  }
  if ('range' in options) {
    throw new TypeError(
      `${name}.setGroup: a group's range is fixed at construction; build a new optimizer to regroup the parameters`,
    );
  }
  knownKeys(`${name}.setGroup`, options, allowed);
}

/** A copy of `options` without the keys whose value is undefined. */
export function stripUndefined<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
