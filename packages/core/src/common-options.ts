// The options every optimizer takes, and their validation.
import type { ParamArray } from './param-array.js';
import { type ParamGroup, stripUndefined } from './param-groups.js';
import type { Schedule } from './schedule.js';
import {
  boolean,
  describe,
  knownKeys,
  nonNegativeFinite,
  oneOf,
  positiveFinite,
} from './validate.js';

/** The optimizers of this package, as named in snapshots and the registry. */
export type OptimizerKind =
  | 'adam'
  | 'adamw'
  | 'sgd'
  | 'rmsprop'
  | 'adamax'
  | 'nadam'
  | 'radam'
  | 'adagrad'
  | 'adadelta';

/**
 * What `step()` does with a gradient holding NaN or ±Infinity:
 * - `'throw'` (default): throw an {@link AdamflowError} with code
 *   `ADAMFLOW_ERR_NON_FINITE_GRADIENT`; params, moments and step count stay exactly as they were.
 * - `'skip'`: do nothing but count the step in `skippedSteps`; `step()` returns false.
 * - `'propagate'`: no check at all (one pass over the gradient fewer); NaN spreads
 *   into the parameters as it would in PyTorch.
 */
export type NonFinitePolicy = 'throw' | 'skip' | 'propagate';

/** Options every optimizer takes. */
export interface CommonOptions {
  /** Learning rate: a positive finite number, or a {@link Schedule} of the step index. */
  lr?: number | Schedule;
  /** Weight decay coefficient, >= 0 (L2 in Adam/SGD/RMSProp, decoupled in AdamW). */
  weightDecay?: number;
  /** Ascend the objective instead of descending it. */
  maximize?: boolean;
  /** Clamp every gradient entry to `[-clipValue, clipValue]` before anything else; `null` is off. */
  clipValue?: number | null;
  /**
   * Rescale the gradient so its L2 norm is at most `clipNorm` (PyTorch's
   * `clip_grad_norm_`: factor `min(1, clipNorm / (norm + 1e-6))`); `null` is off.
   * Costs one extra read pass over the gradient. Applied before `clipValue`.
   */
  clipNorm?: number | null;
  /** See {@link NonFinitePolicy}. */
  nonFinite?: NonFinitePolicy;
  /**
   * Parameter groups (PyTorch's `param_groups`): index ranges of the parameter vector,
   * half-open, disjoint and covering it, each with its own options; the top-level options
   * are every group's defaults. See {@link ParamGroup}.
   */
  groups?: readonly ParamGroup<CommonOptions>[];
}

/** The resolved common options, as held and snapshotted. */
export interface ResolvedCommon {
  lr: number | Schedule;
  weightDecay: number;
  maximize: boolean;
  clipValue: number | null;
  clipNorm: number | null;
  nonFinite: NonFinitePolicy;
}

/** The keys of {@link CommonOptions} but `groups`. @internal */
export const COMMON_KEYS: readonly string[] = [
  'lr',
  'weightDecay',
  'maximize',
  'clipValue',
  'clipNorm',
  'nonFinite',
];

const POLICIES: readonly NonFinitePolicy[] = ['throw', 'skip', 'propagate'];

/**
 * Validates the options every optimizer shares (a schedule `lr` is checked at each step).
 *
 * @param name - the optimizer's kind, for messages.
 * @param merged - the options, defaults filled in.
 * @throws TypeError or RangeError saying which option is wrong and how.
 * @example
 * ```ts
 * checkCommonOptions('adam', { ...defaults, lr: -1 }); // RangeError: adam: lr must be ...
 * ```
 * @internal
 */
export function checkCommonOptions(name: string, merged: ResolvedCommon): void {
  if (typeof merged.lr !== 'function') positiveFinite(`${name}: lr`, merged.lr);
  nonNegativeFinite(`${name}: weightDecay`, merged.weightDecay);
  boolean(`${name}: maximize`, merged.maximize);
  if (merged.clipValue !== null) positiveFinite(`${name}: clipValue`, merged.clipValue);
  if (merged.clipNorm !== null) positiveFinite(`${name}: clipNorm`, merged.clipNorm);
  oneOf(`${name}: nonFinite`, merged.nonFinite, POLICIES);
}

/**
 * A group's validation error, its message saying which group.
 *
 * @param error - what the optimizer's validation threw for group `k`.
 * @param name - the optimizer's kind.
 * @param k - the group's index.
 * @returns the same kind of error, `groups[k]: ` after the optimizer's name.
 * @example
 * ```ts
 * inGroup(new RangeError('adam: lr must be ...'), 'adam', 1); // adam: groups[1]: lr must be ...
 * ```
 * @internal
 */
export function inGroup(error: unknown, name: string, k: number): unknown {
  if (!(error instanceof Error)) return error;
  const prefix = `${name}: `;
  const detail = error.message.startsWith(prefix)
    ? error.message.slice(prefix.length)
    : error.message;
  const message = `${prefix}groups[${k}]: ${detail}`;
  return error instanceof RangeError ? new RangeError(message) : new TypeError(message);
}

/**
 * Checks an optimizer's `params`: a non-empty float typed array, updated in place.
 *
 * @param name - the optimizer's kind, for messages.
 * @param params - the constructor's argument.
 * @returns `params`, typed.
 * @throws TypeError or RangeError saying how to pass them.
 * @example
 * ```ts
 * checkParams('adam', [1, 2]); // TypeError: ... wrap numbers with new Float64Array([...])
 * ```
 * @internal
 */
export function checkParams(name: string, params: unknown): ParamArray {
  if (!(params instanceof Float64Array || params instanceof Float32Array)) {
    throw new TypeError(
      `${name}: params must be a Float64Array or Float32Array (it is updated in place), got ${describe(params)}; wrap numbers with new Float64Array([...])`,
    );
  }
  if (params.length === 0) {
    throw new RangeError(`${name}: params must hold at least one parameter, got length 0`);
  }
  return params;
}

/**
 * Checks a constructor's `options` object and its keys, and splits off `groups`.
 *
 * @param name - the optimizer's kind, for messages.
 * @param options - the constructor's argument (undefined: all defaults).
 * @param ownKeys - the option keys of the optimizer besides the common ones.
 * @returns the `groups` option as given, and the other options without undefined values.
 * @throws TypeError on a non-object or an unknown key.
 * @example
 * ```ts
 * splitOptions('adam', { lr: 0.1, groups }, ['beta1']); // { groups, rest: { lr: 0.1 } }
 * ```
 * @internal
 */
export function splitOptions(
  name: string,
  options: unknown,
  ownKeys: readonly string[],
): { groups: unknown; rest: Record<string, unknown> } {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${name}: options must be an object, got ${describe(options)}`);
  }
  const given = (options ?? {}) as Record<string, unknown>;
  knownKeys(name, given, [...COMMON_KEYS, 'groups', ...ownKeys]);
  const { groups, ...rest } = given;
  return { groups, rest: stripUndefined(rest) };
}
