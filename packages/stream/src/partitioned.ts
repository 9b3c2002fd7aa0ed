import {
  AdamflowError,
  type AdamOptions,
  createOptimizer,
  type NonFinitePolicy,
  type Optimizer,
  type OptimizerName,
  type OptimizerState,
  optimizers,
  type RMSPropOptions,
  type SGDOptions,
} from '@adamflow/core';

/**
 * One named range of the parameter vector and the optimizer that steps it: a registry
 * name with its options written beside it (`{ range: [0, 1], optimizer: 'sgd', lr: 0.01 }`;
 * PyTorch's defaults for what is not given, not the demo settings), or a factory
 * `(view) => Optimizer` over the range's subarray view (e.g. for `Adam`'s backend).
 */
export type PartitionGroup = {
  /** `[start, end)` indices into the parameters; `end` omitted: to the end of the vector. */
  range: readonly [start: number, end?: number];
  /** A registry name (`'sgd'`, `'adam'`, ...) or a factory over the range's view. */
  optimizer: OptimizerName | ((params: Float64Array) => Optimizer);
} & Omit<AdamOptions & SGDOptions & RMSPropOptions, 'nonFinite'>;

/** Options of {@link partitioned} itself. */
export interface PartitionedOptions {
  /**
   * What a step does with a non-finite gradient, for the whole vector at once (the
   * groups never see one): `'throw'` (default), `'skip'`, or `'propagate'`.
   */
  nonFinite?: NonFinitePolicy;
}

/** The state of a {@link PartitionedOptimizer}: versioned, JSON-safe, bitwise. */
export interface PartitionedState {
  format: 'adamflow.partitioned';
  version: number;
  stepCount: number;
  skippedSteps: number;
  nonFinite: NonFinitePolicy;
  /** In the order the groups were given. */
  groups: { name: string; start: number; end: number; optimizer: OptimizerState }[];
}

/** The version of {@link PartitionedState} this build writes and reads. */
export const PARTITIONED_STATE_VERSION = 1;

/** A group as held: its name, range and optimizer over the range's view. */
export interface PartitionedGroup {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly optimizer: Optimizer;
}

const POLICIES: readonly NonFinitePolicy[] = ['throw', 'skip', 'propagate'];

/**
 * Different optimizers for different parameters (optax's `multi_transform`, PyTorch's
 * parameter groups): a partition of one parameter vector into named, contiguous,
 * non-overlapping ranges that together cover it, each stepped by its own optimizer
 * with its own options. River's GLM, for instance, steps the intercept by plain SGD at
 * `intercept_lr` while the weights use the chosen optimizer.
 *
 * Each group's optimizer works in place on a subarray view of the parameters and reads
 * the matching view of the gradient (both backends of `@adamflow/core` accept views).
 * A step checks the whole gradient once, then steps every group; a step that throws
 * changes nothing.
 *
 * @param groups - the ranges by name, in the order their states are stored.
 * @param options - {@link PartitionedOptions}.
 * @returns a factory `(params) => PartitionedOptimizer`, to pass as a learner's
 *   `optimizer` (or to `applyGradients`); ranges are checked against `params` there.
 * @example
 * ```ts
 * import { Learner, linearRegression, partitioned } from '@adamflow/stream';
 * const learner = new Learner({
 *   model: linearRegression({ features: 3 }),
 *   optimizer: partitioned({
 *     intercept: { range: [0, 1], optimizer: 'sgd', lr: 0.01 },
 *     weights: { range: [1], optimizer: 'adam', lr: 0.1 },
 *   }),
 * });
 * learner.learn({ x: [1, 2, 3], y: 4, index: 0 });
 * ```
 */
export function partitioned(
  groups: Record<string, PartitionGroup>,
  options: PartitionedOptions = {},
): (params: Float64Array) => PartitionedOptimizer {
  if (groups === null || typeof groups !== 'object' || Object.keys(groups).length === 0) {
    throw new TypeError(
      "partitioned: groups must be an object of named ranges, e.g. { intercept: { range: [0, 1], optimizer: 'sgd', lr: 0.01 }, weights: { range: [1], optimizer: 'adam' } }",
    );
  }
  for (const [name, group] of Object.entries(groups)) checkGroup(name, group);
  const nonFinite = options.nonFinite ?? 'throw';
  if (!POLICIES.includes(nonFinite)) {
    throw new TypeError(
      `partitioned: nonFinite must be 'throw', 'skip' or 'propagate', got ${JSON.stringify(nonFinite)}`,
    );
  }
  return (params) => new PartitionedOptimizer(params, groups, nonFinite);
}

/**
 * The optimizer {@link partitioned} builds: the same surface as an `@adamflow/core`
 * optimizer (`params`, `step`, `lr`, `lastLr`, `stepCount`, `options`, `set`, `reset`,
 * `state`, `loadState`), so learners and `applyGradients` take it as they take any.
 * `lr` and `lastLr` are those of the largest group (the first of equals): the weights,
 * typically. Reach one group's optimizer through `group(name)`.
 *
 * @example
 * ```ts
 * import { partitioned } from '@adamflow/stream';
 * const params = new Float64Array(3);
 * const opt = partitioned({
 *   intercept: { range: [0, 1], optimizer: 'sgd', lr: 0.5 },
 *   weights: { range: [1, 3], optimizer: 'sgd', lr: 0.1 },
 * })(params);
 * opt.step([1, 1, 1]); // params = [-0.5, -0.1, -0.1]
 * ```
 */
export class PartitionedOptimizer {
  /** Always `'partitioned'`. */
  readonly kind = 'partitioned';
  /** The whole parameter vector; each group updates its range in place. */
  readonly params: Float64Array;
  /** The groups, in the order given. */
  readonly groups: readonly PartitionedGroup[];
  private readonly gradient: Float64Array;
  private readonly gradientViews: Float64Array[];
  private readonly main: PartitionedGroup;
  private readonly nonFinite: NonFinitePolicy;
  private t = 0;
  private skipped = 0;

  /**
   * Prefer {@link partitioned}, which checks the groups once and returns a factory.
   * @param params - the parameters.
   * @param groups - the groups by name.
   * @param nonFinite - the policy for the whole gradient.
   */
  constructor(
    params: Float64Array,
    groups: Record<string, PartitionGroup>,
    nonFinite: NonFinitePolicy = 'throw',
  ) {
    if (!(params instanceof Float64Array)) {
      throw new TypeError('partitioned: params must be a Float64Array (it is updated in place)');
    }
    this.params = params;
    this.nonFinite = nonFinite;
    this.gradient = new Float64Array(params.length);
    const ranges = Object.entries(groups).map(([name, group]) => {
      checkGroup(name, group);
      const end = group.range[1] ?? params.length;
      return { name, start: group.range[0], end, group };
    });
    checkCover(ranges, params.length);
    this.groups = ranges.map(({ name, start, end, group }) => ({
      name,
      start,
      end,
      optimizer: buildGroup(name, group, params.subarray(start, end)),
    }));
    this.gradientViews = this.groups.map(({ start, end }) => this.gradient.subarray(start, end));
    let main = this.groups[0]!;
    for (const group of this.groups) {
      if (group.end - group.start > main.end - main.start) main = group;
    }
    this.main = main;
  }

  /** The optimizer of the group `name`. */
  group(name: string): Optimizer {
    const found = this.groups.find((group) => group.name === name);
    if (!found) {
      throw new RangeError(
        `partitioned: no group named ${JSON.stringify(name)}; the groups are ${this.groups.map((g) => g.name).join(', ')}`,
      );
    }
    return found.optimizer;
  }

  /** Applied steps. */
  get stepCount(): number {
    return this.t;
  }

  /** Steps skipped under `nonFinite: 'skip'`. */
  get skippedSteps(): number {
    return this.skipped;
  }

  /** The learning rate the largest group's next step will use. */
  get lr(): number {
    return this.main.optimizer.lr;
  }

  /** The learning rate of the largest group's last step. */
  get lastLr(): number {
    return this.main.optimizer.lastLr;
  }

  /** The options that concern the whole vector. */
  get options(): Readonly<{ nonFinite: NonFinitePolicy }> {
    return { nonFinite: this.nonFinite };
  }

  /**
   * Steps every group with its range of `grad`, after one finiteness check of the
   * whole gradient. Throws (changing nothing) on a malformed or, under `'throw'`,
   * non-finite gradient, or when a group's lr schedule returns a bad rate.
   *
   * @param grad - one entry per parameter.
   * @returns true if applied, false if skipped under `nonFinite: 'skip'`.
   */
  step(grad: ArrayLike<number>): boolean {
    const n = this.params.length;
    if (grad === null || typeof grad !== 'object' || typeof grad.length !== 'number') {
      throw new TypeError('partitioned.step: grad must be an array or typed array of numbers');
    }
    if (grad.length !== n) {
      throw new RangeError(
        `partitioned.step: grad has length ${grad.length} but there are ${n} parameters; pass one gradient entry per parameter`,
      );
    }
    const gradient = this.gradient;
    let poison = 0;
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      gradient[i] = g;
      poison += g - g;
    }
    if (poison !== 0 && this.nonFinite !== 'propagate') {
      if (this.nonFinite === 'skip') {
        this.skipped++;
        return false;
      }
      throw new AdamflowError(
        'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
        "partitioned.step: the gradient holds NaN or Infinity; nothing was changed. Fix the gradient, or pass partitioned(groups, { nonFinite: 'skip' })",
      );
    }
    // Every group's rate first (a schedule may throw), so no group steps alone.
    for (const group of this.groups) void group.optimizer.lr;
    const groups = this.groups;
    for (let k = 0; k < groups.length; k++) groups[k]!.optimizer.step(this.gradientViews[k]!);
    this.t++;
    return true;
  }

  /**
   * Sets options on every group (e.g. `{ lr }` from a live control); use
   * `group(name).set(...)` for one. On an error no group changes.
   */
  set(options: Record<string, unknown>): void {
    const before = this.groups.map((group) => group.optimizer.options);
    try {
      for (const group of this.groups) group.optimizer.set(options);
    } catch (error) {
      this.groups.forEach((group, k) => {
        group.optimizer.set(before[k] as Record<string, unknown>);
      });
      throw error;
    }
  }

  /** Forgets every group's moments and counters, keeping params and options. */
  reset(): void {
    for (const group of this.groups) group.optimizer.reset();
    this.t = 0;
    this.skipped = 0;
  }

  /** @returns the state of every group and the counters, JSON-safe. */
  state(): PartitionedState {
    return {
      format: 'adamflow.partitioned',
      version: PARTITIONED_STATE_VERSION,
      stepCount: this.t,
      skippedSteps: this.skipped,
      nonFinite: this.nonFinite,
      groups: this.groups.map((group) => ({
        name: group.name,
        start: group.start,
        end: group.end,
        optimizer: group.optimizer.state(),
      })),
    };
  }

  /**
   * Restores {@link PartitionedOptimizer.state} of the same groups (names and ranges).
   * Everything is checked first; if any group's state is refused, every group is put
   * back as it was and the error (an `AdamflowError` with a `ADAMFLOW_ERR_STATE_*`
   * code) is thrown.
   *
   * @param snapshot - a {@link PartitionedState}, typically parsed from JSON.
   */
  loadState(snapshot: unknown): void {
    const s = this.checkSnapshot(snapshot);
    const before = this.groups.map((group) => group.optimizer.state());
    try {
      this.groups.forEach((group, k) => {
        group.optimizer.loadState(s.groups[k]!.optimizer);
      });
    } catch (error) {
      this.groups.forEach((group, k) => {
        group.optimizer.loadState(before[k]);
      });
      throw error;
    }
    this.t = s.stepCount;
    this.skipped = s.skippedSteps;
  }

  private checkSnapshot(snapshot: unknown): PartitionedState {
    const s = snapshot as Partial<PartitionedState> | null;
    if (s === null || typeof s !== 'object' || s.format !== 'adamflow.partitioned') {
      malformed('expected the object state() returned (format adamflow.partitioned)');
    }
    if (s.version !== PARTITIONED_STATE_VERSION) {
      throw new AdamflowError(
        'ADAMFLOW_ERR_STATE_VERSION',
        `partitioned.loadState: snapshot version ${String(s.version)} is not supported; this build reads version ${PARTITIONED_STATE_VERSION}`,
      );
    }
    if (!isCount(s.stepCount) || !isCount(s.skippedSteps)) {
      malformed('counters must be integers >= 0');
    }
    if (s.nonFinite !== this.nonFinite) {
      malformed(`nonFinite is ${String(s.nonFinite)}, this optimizer's is ${this.nonFinite}`);
    }
    const groups = s.groups;
    const same =
      Array.isArray(groups) &&
      groups.length === this.groups.length &&
      this.groups.every((group, k) => {
        const other = groups[k];
        return (
          other !== null &&
          typeof other === 'object' &&
          other.name === group.name &&
          other.start === group.start &&
          other.end === group.end
        );
      });
    if (!same) {
      throw new AdamflowError(
        'ADAMFLOW_ERR_STATE_LENGTH',
        `partitioned.loadState: the snapshot's groups differ from this optimizer's (${this.groups.map((g) => `${g.name} [${g.start}, ${g.end})`).join(', ')}); restore it into a partition of the same names and ranges`,
      );
    }
    return s as PartitionedState;
  }
}

function checkGroup(name: string, group: PartitionGroup): void {
  if (group === null || typeof group !== 'object') {
    throw new TypeError(
      `partitioned: group ${JSON.stringify(name)} must be { range: [start, end], optimizer, ...options }`,
    );
  }
  const range = group.range as unknown;
  const valid =
    Array.isArray(range) &&
    (range.length === 1 || range.length === 2) &&
    Number.isInteger(range[0]) &&
    range[0] >= 0 &&
    (range[1] === undefined || (Number.isInteger(range[1]) && range[1] > range[0]));
  if (!valid) {
    throw new RangeError(
      `partitioned: group ${JSON.stringify(name)}: range must be [start, end] with integers 0 <= start < end (or [start] for "to the end"), got ${JSON.stringify(range)}`,
    );
  }
  const optimizer = group.optimizer as unknown;
  if (
    typeof optimizer !== 'function' &&
    !(typeof optimizer === 'string' && Object.hasOwn(optimizers, optimizer))
  ) {
    throw new TypeError(
      `partitioned: group ${JSON.stringify(name)}: optimizer must be one of ${Object.keys(optimizers).join(', ')} or a factory (params) => Optimizer, got ${JSON.stringify(optimizer)}`,
    );
  }
  if ('nonFinite' in group) {
    throw new TypeError(
      `partitioned: group ${JSON.stringify(name)}: nonFinite applies to the whole vector; pass it as partitioned(groups, { nonFinite })`,
    );
  }
  if (typeof optimizer === 'function' && Object.keys(group).length > 2) {
    throw new TypeError(
      `partitioned: group ${JSON.stringify(name)}: a factory takes its own options; remove ${Object.keys(
        group,
      )
        .filter((key) => key !== 'range' && key !== 'optimizer')
        .join(', ')}`,
    );
  }
}

function checkCover(ranges: { name: string; start: number; end: number }[], length: number): void {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let next = 0;
  for (const { name, start, end } of sorted) {
    if (start !== next || end > length) {
      throw new RangeError(
        `partitioned: the ranges must cover the ${length} parameters exactly once, without gaps or overlaps; group ${JSON.stringify(name)} is [${start}, ${end}) where [${next}, ...) was expected`,
      );
    }
    next = end;
  }
  if (next !== length) {
    throw new RangeError(
      `partitioned: the ranges cover [0, ${next}) but there are ${length} parameters; add a group for [${next}, ${length})`,
    );
  }
}

function buildGroup(name: string, group: PartitionGroup, view: Float64Array): Optimizer {
  const { range: _range, optimizer, ...options } = group;
  let built: Optimizer;
  if (typeof optimizer === 'function') {
    built = optimizer(view);
    if (!built || built.params !== view) {
      throw new TypeError(
        `partitioned: group ${JSON.stringify(name)}: the factory must return an optimizer over the view it was given`,
      );
    }
  } else {
    built = createOptimizer(optimizer, view, options);
  }
  // The partition checks the whole gradient once; a group never sees a non-finite one.
  built.set({ nonFinite: 'propagate' });
  return built;
}

function malformed(detail: string): never {
  throw new AdamflowError(
    'ADAMFLOW_ERR_STATE_MALFORMED',
    `partitioned.loadState: not a valid snapshot: ${detail}`,
  );
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
