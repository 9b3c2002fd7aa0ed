// The snapshot format of every optimizer (state() / loadState()), and its checks.
import { decodeFloatsInto, encodeFloats, isFloatsOfLength } from './base64.js';
import type { OptimizerKind } from './common-options.js';
import { AdamflowError } from './errors.js';
import type { ParamArray } from './param-array.js';
import type { HeldGroup } from './param-groups.js';
import { describe } from './validate.js';

/** The snapshot format's version; bumped on any incompatible change. */
export const STATE_VERSION = 1;

/**
 * A versioned, JSON-safe snapshot of everything an optimizer holds. Float buffers
 * are the exact bytes, little-endian, in base64, so a restore is bitwise.
 */
export interface OptimizerState {
  format: 'adamflow.optimizer';
  version: number;
  kind: OptimizerKind;
  dtype: 'float32' | 'float64';
  length: number;
  stepCount: number;
  skippedSteps: number;
  /** Hyperparameters; `lr` is null when it was a schedule (functions do not serialize). */
  hyper: Record<string, number | boolean | string | null>;
  /** `params` and every state buffer, base64 of little-endian bytes. */
  buffers: Record<string, string>;
  /** Small per-kind flags (e.g. whether SGD's momentum buffer is initialised). */
  flags: Record<string, boolean>;
  /**
   * The parameter groups: each one's range and the options it set itself (`lr` null for
   * a schedule). Absent in snapshots from before groups existed (one group, no options).
   */
  groups?: GroupState[];
  /**
   * Per-kind running scalars (e.g. NAdam's product of momentum coefficients, one per
   * group); absent for kinds that keep none. Finite numbers, exact through JSON.
   */
  scalars?: Record<string, number>;
}

/** One parameter group in an {@link OptimizerState}. */
export interface GroupState {
  range: [number, number];
  hyper: Record<string, number | boolean | string | null>;
}

/** What a snapshot must match to load into an optimizer. @internal */
export interface SnapshotTarget {
  kind: OptimizerKind;
  dtype: 'float32' | 'float64';
  /** Number of parameters. */
  length: number;
  /** Bytes of params (and of every state buffer). */
  bytes: number;
  /** The state buffers' names, params excluded. */
  buffers: readonly string[];
  /** The per-kind scalars' names. */
  scalars: readonly string[];
}

/** What an optimizer holds, as {@link snapshotOf} reads it. @internal */
export interface SnapshotSource {
  kind: OptimizerKind;
  params: ParamArray;
  stepCount: number;
  skippedSteps: number;
  /** The top-level options. */
  hyper: object;
  /** The state buffers by snapshot name, params excluded. */
  buffers: Record<string, ParamArray>;
  flags: Record<string, boolean>;
  groups: readonly HeldGroup<unknown>[];
  scalars: Record<string, number>;
}

/**
 * The snapshot of an optimizer: the exact bytes of every buffer, options with
 * schedules as null, counters, flags, groups and (when any) running scalars.
 *
 * @param source - what the optimizer holds.
 * @returns a JSON-safe {@link OptimizerState}.
 * @example
 * ```ts
 * const state = snapshotOf({ kind: 'sgd', params, stepCount: 0, ... });
 * ```
 * @internal
 */
export function snapshotOf(source: SnapshotSource): OptimizerState {
  const { params, scalars } = source;
  const buffers: Record<string, string> = { params: encodeFloats(params) };
  for (const [name, buffer] of Object.entries(source.buffers)) {
    buffers[name] = encodeFloats(buffer);
  }
  const state: OptimizerState = {
    format: 'adamflow.optimizer',
    version: STATE_VERSION,
    kind: source.kind,
    dtype: params instanceof Float64Array ? 'float64' : 'float32',
    length: params.length,
    stepCount: source.stepCount,
    skippedSteps: source.skippedSteps,
    hyper: plainHyper(source.hyper),
    buffers,
    flags: source.flags,
    groups: source.groups.map((group) => ({
      range: [group.from, group.to],
      hyper: plainHyper(group.own),
    })),
  };
  if (Object.keys(scalars).length > 0) state.scalars = scalars;
  return state;
}

/**
 * The top-level options a snapshot restores: its values over `current`, but a
 * schedule (`lr: null`) keeps the current `lr`. Not yet validated.
 *
 * @param s - a checked snapshot.
 * @param current - the optimizer's options now.
 * @returns the merged options.
 * @throws AdamflowError `ADAMFLOW_ERR_STATE_MALFORMED` on an unknown key.
 * @example
 * ```ts
 * const merged = snapshotHyper(s, this.hyper);
 * ```
 * @internal
 */
export function snapshotHyper(s: OptimizerState, current: object): Record<string, unknown> {
  const merged = { ...current } as Record<string, unknown>;
  for (const [key, value] of Object.entries(s.hyper)) {
    if (!(key in merged)) malformed(`unknown hyperparameter '${key}'`);
    if (key === 'lr' && value === null) continue;
    merged[key] = value;
  }
  return merged;
}

/**
 * Writes a checked snapshot's params and state buffers in place, bit for bit.
 *
 * @param s - a checked snapshot.
 * @param params - the optimizer's params.
 * @param buffers - its state buffers by snapshot name.
 * @example
 * ```ts
 * restoreBuffers(s, this.params, this.stateBuffers());
 * ```
 * @internal
 */
export function restoreBuffers(
  s: OptimizerState,
  params: ParamArray,
  buffers: Record<string, ParamArray>,
): void {
  decodeFloatsInto(s.buffers['params']!, params);
  for (const [name, buffer] of Object.entries(buffers)) {
    decodeFloatsInto(s.buffers[name]!, buffer);
  }
}

/**
 * Throws the error of a snapshot that is not one `state()` made.
 *
 * @param detail - what is wrong with it.
 * @throws AdamflowError `ADAMFLOW_ERR_STATE_MALFORMED`, always.
 * @example
 * ```ts
 * malformed('hyper is missing');
 * ```
 * @internal
 */
export function malformed(detail: string): never {
  throw new AdamflowError(
    'ADAMFLOW_ERR_STATE_MALFORMED',
    `loadState: not a valid optimizer snapshot: ${detail}; pass the value state() returned (JSON round-trips are fine)`,
  );
}

/**
 * Options as a snapshot holds them: a schedule (a function) becomes null.
 *
 * @param options - resolved options, or a group's own.
 * @returns a JSON-safe copy.
 * @example
 * ```ts
 * plainHyper({ lr: () => 0.1, beta1: 0.9 }); // { lr: null, beta1: 0.9 }
 * ```
 * @internal
 */
export function plainHyper(options: object): Record<string, number | boolean | string | null> {
  const out: Record<string, number | boolean | string | null> = {};
  for (const [key, value] of Object.entries(options)) {
    out[key] = typeof value === 'function' ? null : (value as number | boolean | string | null);
  }
  return out;
}

/**
 * Checks that `snapshot` is a well-formed snapshot for `target`, leaving the values of
 * its hyperparameters and groups to the optimizer.
 *
 * @param snapshot - the value given to `loadState()`.
 * @param target - what it must match.
 * @returns the snapshot, typed.
 * @throws AdamflowError with code `ADAMFLOW_ERR_STATE_*`.
 * @example
 * ```ts
 * const s = checkSnapshot(JSON.parse(text), target);
 * ```
 * @internal
 */
export function checkSnapshot(snapshot: unknown, target: SnapshotTarget): OptimizerState {
  if (snapshot === null || typeof snapshot !== 'object') {
    malformed(`expected an object from state(), got ${describe(snapshot)}`);
  }
  const s = snapshot as Partial<OptimizerState>;
  if (s.format !== 'adamflow.optimizer') malformed(`format is ${describe(s.format)}`);
  if (s.version !== STATE_VERSION) {
    throw new AdamflowError(
      'ADAMFLOW_ERR_STATE_VERSION',
      `loadState: snapshot version ${describe(s.version)} is not supported; this build reads version ${STATE_VERSION}`,
    );
  }
  if (s.kind !== target.kind || s.dtype !== target.dtype) {
    throw new AdamflowError(
      'ADAMFLOW_ERR_STATE_KIND',
      `loadState: snapshot is of ${describe(s.kind)}/${describe(s.dtype)}, this optimizer is ${target.kind}/${target.dtype}; restore it into an optimizer of the same kind and dtype`,
    );
  }
  if (s.length !== target.length) {
    throw new AdamflowError(
      'ADAMFLOW_ERR_STATE_LENGTH',
      `loadState: snapshot holds ${describe(s.length)} parameters, this optimizer ${target.length}`,
    );
  }
  if (!isCount(s.stepCount) || !isCount(s.skippedSteps))
    malformed('counters must be integers >= 0');
  if (s.hyper === null || typeof s.hyper !== 'object') malformed('hyper is missing');
  if (s.flags === null || typeof s.flags !== 'object') malformed('flags are missing');
  for (const value of Object.values(s.flags)) {
    if (typeof value !== 'boolean') malformed('flags must be booleans');
  }
  checkBuffers(s.buffers, target);
  checkScalars(s.scalars, target.scalars);
  return s as OptimizerState;
}

function checkBuffers(buffers: unknown, target: SnapshotTarget): void {
  if (buffers === null || typeof buffers !== 'object') malformed('buffers are missing');
  const bytes = target.bytes;
  for (const name of ['params', ...target.buffers]) {
    if (!isFloatsOfLength((buffers as Record<string, unknown>)[name], bytes)) {
      malformed(`buffer '${name}' is missing or not ${bytes} bytes of base64`);
    }
  }
}

function checkScalars(given: unknown, names: readonly string[]): void {
  if (names.length === 0) return;
  const scalars = given as Record<string, unknown> | undefined;
  if (scalars === null || typeof scalars !== 'object') malformed('scalars are missing');
  for (const name of names) {
    const value = scalars[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      malformed(`scalar '${name}' is missing or not a finite number`);
    }
  }
}

/**
 * The groups' own options from a snapshot, checked against the optimizer's ranges and
 * the option keys a group may set. A schedule (`lr: null`) keeps the group's own.
 *
 * @param s - a checked snapshot.
 * @param groups - the optimizer's groups.
 * @param groupKeys - the option keys a group may set.
 * @returns each group's own options, in order.
 * @throws AdamflowError `ADAMFLOW_ERR_STATE_GROUPS` or `ADAMFLOW_ERR_STATE_MALFORMED`.
 * @example
 * ```ts
 * const owns = snapshotGroups(s, this.groupList, this.groupKeys);
 * ```
 * @internal
 */
export function snapshotGroups(
  s: OptimizerState,
  groups: readonly HeldGroup<unknown>[],
  groupKeys: readonly string[],
): Record<string, unknown>[] {
  if (s.groups === undefined && groups.length === 1) return [{}];
  const given = s.groups;
  const same =
    Array.isArray(given) &&
    given.length === groups.length &&
    given.every(
      (g, k) =>
        g !== null &&
        typeof g === 'object' &&
        Array.isArray(g.range) &&
        g.range[0] === groups[k]!.from &&
        g.range[1] === groups[k]!.to,
    );
  if (!same) {
    const ranges = (list: readonly { range: unknown }[]) =>
      list.map((g) => JSON.stringify(g.range)).join(', ');
    const own = groups.map((group) => ({ range: [group.from, group.to] }));
    throw new AdamflowError(
      'ADAMFLOW_ERR_STATE_GROUPS',
      `loadState: the snapshot's parameter groups (${Array.isArray(given) ? ranges(given) : 'none'}) are not this optimizer's (${ranges(own)}); restore it into an optimizer built with the same group ranges`,
    );
  }
  return given.map((g, k) => {
    if (g.hyper === null || typeof g.hyper !== 'object') malformed(`groups[${k}].hyper is missing`);
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(g.hyper)) {
      if (!groupKeys.includes(key)) malformed(`unknown option '${key}' in groups[${k}]`);
      // A schedule does not serialize: keep this optimizer's own for the group, if any.
      if (key === 'lr' && value === null) {
        if ('lr' in groups[k]!.own) own['lr'] = groups[k]!.own['lr'];
        continue;
      }
      own[key] = value;
    }
    return own;
  });
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
