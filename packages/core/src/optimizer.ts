import {
  type CommonOptions,
  checkCommonOptions,
  checkParams,
  inGroup,
  type OptimizerKind,
  type ResolvedCommon,
  splitOptions,
} from './common-options.js';
import { checkGradient, clipNormScale, nonFiniteGradient, scanGradient } from './gradient-scan.js';
import type { KernelBinding } from './kernel-binding.js';
import {
  checkSnapshot,
  malformed,
  type OptimizerState,
  restoreBuffers,
  snapshotGroups,
  snapshotHyper,
  snapshotOf,
} from './optimizer-state.js';
import type { ParamArray } from './param-array.js';
import {
  checkGroupUpdate,
  GROUP_COMMON_KEYS,
  type GroupInfo,
  type GroupOptions,
  type HeldGroup,
  parseGroups,
  stripUndefined,
} from './param-groups.js';
import { describe, knownKeys } from './validate.js';

/**
 * The base every optimizer extends: validation, learning-rate schedules, clipping,
 * the non-finite policy, parameter groups, snapshots. Subclasses supply each group's
 * per-step scalars and one fused pass over a group's range (in JavaScript, and on the
 * SIMD kernel where they have one); the loop over the groups is here.
 *
 * The order of operations in a step: check finiteness → clip by global norm → clip by
 * value → (subclass) maximize sign, weight decay, moments, bias correction, parameter
 * update. Each is documented here and in the subclass, but for speed they are not
 * separate passes or composable functions as in optax's `chain`: the finite check and
 * the norm share one read pass over the gradient (`scanGradient`), the norm's factor
 * is computed once in `step()` and every other per-step scalar once per group in
 * `groupScalars()`, and the per-element work, clipping by value included, is one fused
 * loop per group (`updateRange()`, or its SIMD twin in kernel/optimizers.wat, run by
 * `kernelStep()`).
 *
 * @typeParam Options - the constructor options of the subclass.
 * @typeParam Resolved - the validated options it holds.
 * @typeParam Scalars - the per-step scalars of one group's fused pass.
 */
export abstract class Optimizer<
  Options extends CommonOptions = CommonOptions,
  Resolved extends ResolvedCommon = ResolvedCommon,
  Scalars = unknown,
> {
  /** Which optimizer this is (subclasses define it as a prototype getter). */
  abstract get kind(): OptimizerKind;
  /** The parameters, updated in place by `step()`. */
  readonly params: ParamArray;
  /** The validated hyperparameters; change them with `set()`. */
  protected hyper: Resolved;
  /** Applied steps since construction or `reset()`. Drives bias correction and schedules. */
  protected t = 0;
  /** Steps refused by `nonFinite: 'skip'`. */
  protected skipped = 0;
  /**
   * The parameter groups, in index order: one covering every parameter when the
   * `groups` option was not given. Each step runs one fused pass per group's range.
   */
  protected readonly groupList: HeldGroup<Resolved>[];
  /** The option keys a group may set. */
  private readonly groupKeys: readonly string[];
  /** The SIMD kernel's binding, set by subclasses that run on it (null: the JS loop). */
  protected binding: KernelBinding | null = null;

  protected constructor(
    params: unknown,
    options: Options | undefined,
    defaults: Resolved,
    ownKeys: readonly string[],
  ) {
    // kind is a prototype getter in every subclass, so it is defined here already.
    const name = (this as { readonly kind: OptimizerKind }).kind;
    this.params = checkParams(name, params);
    const { groups, rest } = splitOptions(name, options, ownKeys);
    this.hyper = this.resolve({ ...defaults, ...rest } as Resolved);
    this.groupKeys = [...GROUP_COMMON_KEYS, ...ownKeys];
    const specs =
      groups === undefined
        ? [{ from: 0, to: this.params.length, own: {} }]
        : parseGroups(name, groups, this.params.length, this.groupKeys);
    this.groupList = specs.map(({ from, to, own }, k) => ({
      from,
      to,
      own,
      hyper: this.resolveGroup(this.hyper, own, k),
      lr: Number.NaN,
      lastLr: Number.NaN,
    }));
  }

  /** Validates merged options; subclasses check their own and call `resolveCommon`. */
  protected abstract resolve(merged: Resolved): Resolved;

  /**
   * Group `k`'s scalars for this step (`this.t` is already the step's number), computed
   * once before its pass. It may advance per-group running state (NaN-free: a step that
   * reaches here is applied).
   * @param group - the group, with this step's `lr`.
   * @param k - its index.
   * @param scale - the global-norm clipping factor (exactly 1 when off).
   */
  protected abstract groupScalars(group: HeldGroup<Resolved>, k: number, scale: number): Scalars;

  /**
   * One group's fused, allocation-free pass over its range `[group.from, group.to)`, in
   * JavaScript.
   * @param grad - the raw gradient (already checked for finiteness when asked).
   */
  protected abstract updateRange(
    grad: ArrayLike<number>,
    group: HeldGroup<Resolved>,
    scalars: Scalars,
  ): void;

  /**
   * The same pass on the SIMD kernel: subclasses that set `binding` override it.
   * @param group - the group; the kernel already holds this step's gradient and params.
   */
  protected kernelStep(_group: HeldGroup<Resolved>, _scalars: Scalars): void {
    throw new Error(`${this.kind}: a kernel is bound but there is no kernel step`);
  }

  /** The state buffers to snapshot, by name (params excluded). */
  protected abstract stateBuffers(): Record<string, ParamArray>;

  /**
   * One read pass over the gradient before anything changes: NaN when it holds a
   * non-finite entry (and `check` is on), otherwise its sum of squares (0 unless
   * `wantNorm`). Subclasses with another backend override it.
   */
  protected scanGradient(grad: ArrayLike<number>, check: boolean, wantNorm: boolean): number {
    if (this.binding) return this.binding.scan(grad, this.t + 1, check, wantNorm);
    return scanGradient(grad, check, wantNorm);
  }

  /** Per-kind flags to snapshot. */
  protected stateFlags(): Record<string, boolean> {
    return {};
  }

  /** Restores per-kind flags from a validated snapshot. */
  protected loadFlags(_flags: Record<string, boolean>): void {}

  /**
   * Per-kind running scalars to snapshot, by name (none by default). Every name
   * returned here must be present, finite, in a snapshot for it to load.
   */
  protected stateScalars(): Record<string, number> {
    return {};
  }

  /** Restores per-kind scalars (validated: the same names, finite); `{}` after `reset()`. */
  protected loadScalars(_scalars: Record<string, number>): void {}

  /** `'wasm'` when the SIMD kernel runs the step, `'js'` otherwise. */
  get backend(): 'wasm' | 'js' {
    return this.binding ? 'wasm' : 'js';
  }

  /** Applied steps so far (the `t` of the bias correction). */
  get stepCount(): number {
    return this.t;
  }

  /** Steps skipped under `nonFinite: 'skip'`. */
  get skippedSteps(): number {
    return this.skipped;
  }

  /** A copy of the top-level hyperparameters (every group's defaults). */
  get options(): Readonly<Resolved> {
    return { ...this.hyper };
  }

  /**
   * The parameter groups: each one's range, the options it steps with and the learning
   * rate of its last step. One group covering every parameter unless `groups` was given.
   *
   * @example
   * ```ts
   * import { SGD } from '@adamflow/core';
   * const opt = new SGD(new Float64Array(4), {
   *   lr: 0.1,
   *   groups: [{ range: [0, 3] }, { range: [3, 4], lr: 0.01 }],
   * });
   * opt.groups.map((group) => group.options.lr); // [0.1, 0.01]
   * ```
   */
  get groups(): readonly GroupInfo<Resolved>[] {
    return this.groupList.map((group) => ({
      range: [group.from, group.to] as const,
      options: { ...group.hyper },
      lastLr: group.lastLr,
    }));
  }

  /** The learning rate the last applied step used, in the first group (NaN before the first step). */
  get lastLr(): number {
    return this.groupList[0]!.lastLr;
  }

  /** The learning rate the next `step()` will use in the first group (the schedule's value, if any). */
  get lr(): number {
    return this.groupLr(0);
  }

  /**
   * Changes hyperparameters between steps. All given options are validated first;
   * if any is invalid it throws and nothing changes.
   *
   * @param options - the options to change; the rest keep their values.
   * @example
   * ```ts
   * import { Adam } from '@adamflow/core';
   * const opt = new Adam(new Float64Array(2), { lr: 0.1 });
   * opt.set({ lr: 0.01, beta1: 0.8 });
   * ```
   */
  set(options: Partial<Omit<Options, 'groups'>>): void {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`set: options must be an object, got ${describe(options)}`);
    }
    knownKeys(`${this.kind}.set`, options, Object.keys(this.hyper));
    const hyper = this.resolve({ ...this.hyper, ...stripUndefined(options) } as Resolved);
    // Every group follows the new defaults where it set nothing itself; all are checked first.
    const resolved = this.groupList.map((group, k) => this.resolveGroup(hyper, group.own, k));
    this.hyper = hyper;
    this.groupList.forEach((group, k) => {
      group.hyper = resolved[k]!;
    });
  }

  /**
   * Changes one parameter group's own options between steps (as assigning to
   * `optimizer.param_groups[index]` in PyTorch). Options given here override the
   * top-level ones for this group from now on. Everything is validated first: if
   * anything is invalid it throws and nothing changes.
   *
   * @param index - the group's index in the `groups` option (0 when none was given).
   * @param options - the options to set; any group option but `range`, which is fixed.
   * @example
   * ```ts
   * import { AdamW } from '@adamflow/core';
   * const opt = new AdamW(new Float64Array(6), {
   *   groups: [{ range: [0, 4] }, { range: [4, 6], weightDecay: 0 }],
   * });
   * opt.setGroup(1, { lr: 1e-4 }); // the second group only
   * ```
   */
  setGroup(index: number, options: Partial<GroupOptions<Options>>): void {
    checkGroupUpdate(this.kind, index, this.groupList.length, options, this.groupKeys);
    const group = this.groupList[index]!;
    const own = { ...group.own, ...stripUndefined(options) };
    group.hyper = this.resolveGroup(this.hyper, own, index);
    group.own = own;
  }

  /**
   * Takes one optimization step with `grad`, updating `params` in place.
   *
   * @param grad - one gradient entry per parameter (any array-like of numbers).
   * @returns true if the step was applied, false if `nonFinite: 'skip'` skipped it.
   * @throws TypeError/RangeError on a malformed gradient or a bad scheduled rate;
   *   AdamflowError `ADAMFLOW_ERR_NON_FINITE_GRADIENT` under `nonFinite: 'throw'`.
   *   State is unchanged whenever it throws.
   */
  step(grad: ArrayLike<number>): boolean {
    checkGradient(this.kind, grad, this.params.length);
    // Every group's rate before anything changes, so a bad schedule value changes nothing.
    const groups = this.groupList;
    for (let k = 0; k < groups.length; k++) {
      const group = groups[k]!;
      const lr = group.hyper.lr;
      group.lr = typeof lr === 'number' ? lr : this.groupLr(k);
    }
    const hyper = this.hyper;
    const check = hyper.nonFinite !== 'propagate';
    const wantNorm = hyper.clipNorm !== null;
    let sumSquares = 0;
    if (check || wantNorm) {
      sumSquares = this.scanGradient(grad, check, wantNorm);
      if (Number.isNaN(sumSquares) && check) {
        if (hyper.nonFinite === 'skip') {
          this.skipped++;
          return false;
        }
        throw nonFiniteGradient(this.kind, grad);
      }
    }
    const scale = hyper.clipNorm === null ? 1 : clipNormScale(grad, sumSquares, hyper.clipNorm);
    this.t++;
    for (const group of groups) group.lastLr = group.lr;
    this.update(grad, scale);
    return true;
  }

  /**
   * The step's per-element work: for each group, its per-step scalars once and one
   * fused pass over its range, on the kernel when one is bound.
   */
  private update(grad: ArrayLike<number>, scale: number): void {
    const binding = this.binding;
    if (binding) binding.enter(grad, this.params, this.t);
    const groups = this.groupList;
    for (let k = 0; k < groups.length; k++) {
      const group = groups[k]!;
      const scalars = this.groupScalars(group, k, scale);
      if (binding) this.kernelStep(group, scalars);
      else this.updateRange(grad, group, scalars);
    }
    if (binding) binding.leave(this.params);
  }

  /**
   * Forgets all moments and counters (as a new optimizer would), keeping params
   * and hyperparameters.
   */
  reset(): void {
    this.t = 0;
    for (const group of this.groupList) group.lastLr = Number.NaN;
    this.skipped = 0;
    for (const buffer of Object.values(this.stateBuffers())) buffer.fill(0);
    this.loadFlags({});
    this.loadScalars({});
  }

  /**
   * A JSON-safe snapshot of params, buffers, counters and hyperparameters.
   *
   * @returns an {@link OptimizerState}; `JSON.stringify` it freely.
   * @example
   * ```ts
   * import { Adam } from '@adamflow/core';
   * const a = new Adam(new Float64Array([1, 2]), { lr: 0.1 });
   * a.step([0.5, -0.5]);
   * const b = new Adam(new Float64Array(2), { lr: 0.1 });
   * b.loadState(JSON.parse(JSON.stringify(a.state())));
   * // a and b now continue bitwise-identically
   * ```
   */
  state(): OptimizerState {
    return snapshotOf({
      kind: this.kind,
      params: this.params,
      stepCount: this.t,
      skippedSteps: this.skipped,
      hyper: this.hyper,
      buffers: this.stateBuffers(),
      flags: this.stateFlags(),
      groups: this.groupList,
      scalars: this.stateScalars(),
    });
  }

  /**
   * Restores a snapshot made by `state()` of the same kind, dtype and length,
   * writing params in place. A snapshot with `lr: null` (a schedule) keeps this
   * optimizer's own `lr`. Everything is validated first: on any error nothing changes.
   *
   * @param snapshot - an {@link OptimizerState}, typically parsed from JSON.
   * @throws AdamflowError with code `ADAMFLOW_ERR_STATE_*`.
   */
  loadState(snapshot: unknown): void {
    const s = checkSnapshot(snapshot, {
      kind: this.kind,
      dtype: this.params instanceof Float64Array ? 'float64' : 'float32',
      length: this.params.length,
      bytes: this.params.byteLength,
      buffers: Object.keys(this.stateBuffers()),
      scalars: Object.keys(this.stateScalars()),
    });
    const merged = snapshotHyper(s, this.hyper);
    const owns = snapshotGroups(s, this.groupList, this.groupKeys);
    let hyper: Resolved;
    let resolved: Resolved[];
    try {
      hyper = this.resolve(merged as Resolved);
      resolved = owns.map((own, k) => this.resolveGroup(hyper, own, k));
    } catch (error) {
      malformed(`invalid hyperparameters (${(error as Error).message})`);
    }
    // All checks passed: from here on nothing can fail.
    this.hyper = hyper;
    this.groupList.forEach((group, k) => {
      group.own = owns[k]!;
      group.hyper = resolved[k]!;
    });
    restoreBuffers(s, this.params, this.stateBuffers());
    this.t = s.stepCount;
    this.skipped = s.skippedSteps;
    this.loadFlags(s.flags);
    this.loadScalars(s.scalars ?? {});
  }

  /** Group `k`'s learning rate for the next step, validated. */
  protected groupLr(k: number): number {
    const lr = this.groupList[k]!.hyper.lr;
    if (typeof lr === 'number') return lr;
    const value = lr(this.t);
    if (typeof value !== 'number' || !(Number.isFinite(value) && value >= 0)) {
      const whose = this.groupList.length > 1 ? `groups[${k}]: the lr schedule` : 'the lr schedule';
      throw new RangeError(
        `${this.kind}: ${whose} returned ${describe(value)} at step ${this.t}; a schedule must return a finite number >= 0`,
      );
    }
    return value;
  }

  /** The options group `k` steps with: `own` over `top`, validated by the subclass's rules. */
  private resolveGroup(top: Resolved, own: Record<string, unknown>, k: number): Resolved {
    if (Object.keys(own).length === 0) return top;
    try {
      return this.resolve({ ...top, ...own } as Resolved);
    } catch (error) {
      throw inGroup(error, this.kind, k);
    }
  }

  /** Validates the options every optimizer shares. */
  protected resolveCommon(merged: Resolved): Resolved {
    checkCommonOptions(this.kind, merged);
    return merged;
  }
}
