import { createOptimizer, type OptimizerName, optimizerNames, optimizers } from '@adamflow/core';
import type { Sample } from './generators.js';
import { Learner, type LearnerState } from './learner.js';
import type { Model } from './model.js';

/** The most contestants a race holds at once. */
export const MAX_CONTESTANTS = 8;

/** An optimizer's options as a race takes them: numbers and booleans by name (e.g. `{ lr: 0.05, momentum: 0.9 }`). */
export type ContestantOptions = Record<string, number | boolean>;

/** One contestant to enter: a unique name, a registry optimizer and its options. */
export interface ContestantSpec {
  /** A unique name in the race; default the optimizer's name. */
  name?: string;
  /** Any name of `@adamflow/core`'s registry. */
  optimizer: OptimizerName;
  /** Options over the registry's demo options (e.g. `{ lr: 0.05, momentum: 0.9 }`). */
  options?: ContestantOptions;
}

/** A contestant in the race: its learner holds its params, metrics and step count. */
export interface Contestant {
  readonly name: string;
  readonly optimizer: OptimizerName;
  /** The options it was entered or last re-tuned with (over the demo options). */
  readonly options: Readonly<ContestantOptions>;
  readonly learner: Learner;
}

/** One row of {@link Race.leaderboard}. */
export interface Standing {
  /** 1 for the lowest rolling loss; a contestant without a loss yet ranks last. */
  rank: number;
  name: string;
  optimizer: OptimizerName;
  /** The rolling loss: the debiased EMA of the prequential loss (`metrics.live.lossEma`). */
  loss: number;
  steps: number;
  params: number[];
}

/** Options of {@link Race}. */
export interface RaceOptions {
  /** The model every contestant fits (one instance: models hold no per-learner state). */
  model: Model;
  /** The contestants, 1 to {@link MAX_CONTESTANTS}. */
  contestants: readonly ContestantSpec[];
  /** Initial params shared by every contestant (default the model's `initialize`, or zeros). */
  params?: ArrayLike<number>;
  /** Samples per optimizer step, for every contestant; default 1. */
  batchSize?: number;
  /** Window of the rolling metrics; default 100. */
  window?: number;
  /** Decay of the loss EMA; default 0.99. */
  emaBeta?: number;
}

/** A race's complete state, JSON-safe. */
export interface RaceState {
  format: 'adamflow.race';
  version: 1;
  samples: number;
  contestants: {
    name: string;
    optimizer: OptimizerName;
    options: ContestantOptions;
    learner: LearnerState;
  }[];
}

/**
 * An optimizer race: several contestants, each a {@link Learner} with its own optimizer,
 * fit the same model to the same samples in the same order. Each sample is scored by
 * every contestant with the params it had before that sample (prequential), then
 * learned; contestants share nothing but the model, so none can disturb another.
 * Nothing is allocated per sample.
 *
 * @example
 * ```ts
 * import { createGenerator, linearRegression, linearSpec, Race } from '@adamflow/stream';
 * const race = new Race({
 *   model: linearRegression(),
 *   contestants: [{ optimizer: 'adam' }, { optimizer: 'sgd', options: { lr: 0.01, momentum: 0.9 } }],
 * });
 * const source = createGenerator(linearSpec({ seed: 1 }));
 * for (let i = 0; i < 10_000; i++) race.learn(source.next());
 * race.leaderboard()[0]!.name; // the contestant with the lowest rolling loss
 * ```
 */
export class Race {
  /** The model every contestant fits. */
  readonly model: Model;
  /** Samples offered to the race. */
  samples = 0;
  private readonly initialParams: Float64Array;
  private readonly batchSize: number;
  private readonly window: number;
  private readonly emaBeta: number;
  private list: Contestant[] = [];

  /** @param options - {@link RaceOptions}. */
  constructor(options: RaceOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(
        "race: options must be an object, e.g. { model: linearRegression(), contestants: [{ optimizer: 'adam' }] }",
      );
    }
    const { model, contestants } = options;
    if (!Array.isArray(contestants) || contestants.length === 0) {
      throw new TypeError(
        "race: contestants must be a non-empty array, e.g. [{ optimizer: 'adam' }, { optimizer: 'sgd' }]",
      );
    }
    if (contestants.length > MAX_CONTESTANTS) {
      throw new RangeError(
        `race: at most ${MAX_CONTESTANTS} contestants, got ${contestants.length}; remove some`,
      );
    }
    this.model = model;
    this.batchSize = options.batchSize ?? 1;
    this.window = options.window ?? 100;
    this.emaBeta = options.emaBeta ?? 0.99;
    // A throwaway learner checks the shared options once and gives the initial params.
    const probe = new Learner({
      model,
      optimizer: 'sgd',
      ...(options.params !== undefined ? { params: options.params } : {}),
      batchSize: this.batchSize,
      window: this.window,
      emaBeta: this.emaBeta,
    });
    this.initialParams = probe.params.slice();
    const entered: Contestant[] = [];
    for (const spec of contestants) entered.push(this.enter(spec, entered));
    this.list = entered;
  }

  /** The contestants, in entry order (a new array). */
  get contestants(): readonly Contestant[] {
    return this.list.slice();
  }

  /** @returns the contestant called `name`, or undefined. */
  get(name: string): Contestant | undefined {
    return this.list.find((contestant) => contestant.name === name);
  }

  /**
   * Offers one sample to every contestant. Each scores it with its params before the
   * sample (its metrics record that loss), then learns from it. A malformed sample is
   * refused by the first contestant before any learns from it. An optimizer error (e.g.
   * a non-finite gradient) propagates from the contestant that met it, with that
   * contestant's name in the error's `contestant` property.
   *
   * @param sample - features and target.
   */
  learn(sample: Sample): void {
    const list = this.list;
    // The first contestant checks the sample: under the default 'throw' policy a
    // malformed one throws from it before anything changed, and nobody has learned.
    let i = 0;
    try {
      for (; i < list.length; i++) list[i]!.learner.learn(sample);
    } catch (error) {
      // Which contestant failed (e.g. diverged) is what a caller needs to report.
      if (error instanceof Error)
        (error as Error & { contestant?: string }).contestant = list[i]!.name;
      throw error;
    }
    this.samples++;
  }

  /**
   * The standings by rolling loss, lowest first; contestants without a loss yet last,
   * ties in entry order.
   *
   * @returns one row per contestant.
   */
  leaderboard(): Standing[] {
    const rows = this.list.map((contestant) => ({
      rank: 0,
      name: contestant.name,
      optimizer: contestant.optimizer,
      loss: contestant.learner.metrics.live.lossEma,
      steps: contestant.learner.steps,
      params: Array.from(contestant.learner.params),
    }));
    const key = (loss: number) => (Number.isNaN(loss) ? Number.POSITIVE_INFINITY : loss);
    rows.sort((a, b) => key(a.loss) - key(b.loss) || 0);
    rows.forEach((row, i) => {
      row.rank = i + 1;
    });
    return rows;
  }

  /**
   * Enters a contestant between samples, from the race's initial params with fresh
   * metrics.
   *
   * @param spec - {@link ContestantSpec}.
   * @returns the new contestant.
   * @throws RangeError when the race is full or the name is taken; TypeError/RangeError for a bad optimizer or option.
   */
  add(spec: ContestantSpec): Contestant {
    if (this.list.length >= MAX_CONTESTANTS) {
      throw new RangeError(
        `race: at most ${MAX_CONTESTANTS} contestants; remove one before adding ${describeSpec(spec)}`,
      );
    }
    const contestant = this.enter(spec, this.list);
    this.list = [...this.list, contestant];
    return contestant;
  }

  /**
   * Takes a contestant out of the race.
   *
   * @param name - the contestant's name.
   * @throws RangeError for an unknown name, or the last contestant.
   */
  remove(name: string): void {
    const contestant = this.require(name);
    if (this.list.length === 1) {
      throw new RangeError(`race: cannot remove "${name}", the last contestant`);
    }
    this.list = this.list.filter((other) => other !== contestant);
  }

  /**
   * Changes a contestant's options between samples, keeping its params and moments
   * (e.g. `{ lr: 0.01 }`). Everything is checked first: a refused change changes nothing.
   *
   * @param name - the contestant's name.
   * @param options - the options to change.
   */
  retune(name: string, options: ContestantOptions): void {
    const contestant = this.require(name);
    checkOptionsShape(name, options);
    try {
      contestant.learner.optimizer.set(options);
    } catch (error) {
      throw named(name, error);
    }
    const index = this.list.indexOf(contestant);
    const next = { ...contestant, options: { ...contestant.options, ...options } };
    this.list = this.list.map((other, i) => (i === index ? next : other));
  }

  /** @returns the complete state of every contestant, JSON-safe. */
  state(): RaceState {
    return {
      format: 'adamflow.race',
      version: 1,
      samples: this.samples,
      contestants: this.list.map((contestant) => ({
        name: contestant.name,
        optimizer: contestant.optimizer,
        options: { ...contestant.options },
        learner: contestant.learner.state(),
      })),
    };
  }

  /**
   * Restores {@link Race.state}: the contestants become those of the state, each
   * continuing bitwise where it was. Everything is rebuilt first: a refused state
   * leaves the race as it was.
   *
   * @param state - a state from a race over the same model.
   */
  loadState(state: RaceState): void {
    if (state === null || typeof state !== 'object' || state.format !== 'adamflow.race') {
      throw new TypeError("race state: expected a Race.state() value (format 'adamflow.race')");
    }
    if (state.version !== 1) {
      throw new RangeError(`race state: version must be 1, got ${String(state.version)}`);
    }
    if (!Array.isArray(state.contestants) || state.contestants.length === 0) {
      throw new TypeError('race state: contestants must be a non-empty array');
    }
    if (state.contestants.length > MAX_CONTESTANTS) {
      throw new RangeError(
        `race state: at most ${MAX_CONTESTANTS} contestants, got ${state.contestants.length}`,
      );
    }
    const restored: Contestant[] = [];
    for (const saved of state.contestants) {
      const contestant = this.enter(saved, restored);
      try {
        contestant.learner.loadState(saved.learner);
      } catch (error) {
        throw named(contestant.name, error);
      }
      restored.push(contestant);
    }
    this.list = restored;
    this.samples = state.samples;
  }

  private require(name: string): Contestant {
    const contestant = this.get(name);
    if (!contestant) {
      throw new RangeError(
        `race: no contestant "${String(name)}"; the contestants are ${this.list.map((c) => c.name).join(', ')}`,
      );
    }
    return contestant;
  }

  /** Validates a spec against the contestants so far and builds its learner. */
  private enter(spec: ContestantSpec, others: readonly Contestant[]): Contestant {
    if (spec === null || typeof spec !== 'object') {
      throw new TypeError(
        `race: a contestant must be an object like { optimizer: 'adam' }, got ${String(spec)}`,
      );
    }
    const name = spec.name ?? spec.optimizer;
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
      throw new TypeError(
        `race: a contestant's name must be a string of 1 to 64 characters, got ${JSON.stringify(name)}`,
      );
    }
    if (typeof spec.optimizer !== 'string' || !Object.hasOwn(optimizers, spec.optimizer)) {
      throw new TypeError(
        `race: contestant "${name}": optimizer must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(spec.optimizer)}`,
      );
    }
    if (others.some((other) => other.name === name)) {
      throw new RangeError(
        `race: contestant name "${name}" is taken; give each contestant of the same optimizer its own name`,
      );
    }
    const options = spec.options ?? {};
    checkOptionsShape(name, options);
    const optimizer = spec.optimizer;
    const merged = { ...optimizers[optimizer].demoOptions, ...options };
    let learner: Learner;
    try {
      learner = new Learner({
        model: this.model,
        optimizer: (params) => createOptimizer(optimizer, params, merged),
        params: this.initialParams,
        batchSize: this.batchSize,
        window: this.window,
        emaBeta: this.emaBeta,
      });
    } catch (error) {
      throw named(name, error);
    }
    learner.optimizerName = optimizer;
    return { name, optimizer, options: { ...options }, learner };
  }
}

function checkOptionsShape(name: string, options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `race: contestant "${name}": options must be an object like { lr: 0.01 }, got ${JSON.stringify(options)}`,
    );
  }
  for (const [key, value] of Object.entries(options)) {
    if (typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(
        `race: contestant "${name}": option ${key} must be a number or a boolean, got ${JSON.stringify(value)}`,
      );
    }
  }
}

/** The same error class, its message prefixed with the contestant's name. */
function named(name: string, error: unknown): Error {
  if (!(error instanceof Error))
    return new TypeError(`race: contestant "${name}": ${String(error)}`);
  const Kind = error instanceof RangeError ? RangeError : TypeError;
  const wrapped = new Kind(`race: contestant "${name}": ${error.message}`);
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) (wrapped as Error & { code?: unknown }).code = code;
  return wrapped;
}

function describeSpec(spec: ContestantSpec): string {
  return JSON.stringify(spec?.name ?? spec?.optimizer ?? null);
}
