import type { OptimizerName } from '@adamflow/core';
import {
  type ContestantConfig,
  type ContestantOptions,
  type ContestantStatus,
  type Diverged,
  MAX_CONTESTANTS,
} from '@adamflow/protocol';
import {
  type ContestantSpec,
  type Model,
  Race,
  type ContestantOptions as RaceOptions,
  type RaceState,
  type Sample,
} from '@adamflow/stream';

/** The contestants as a checkpoint keeps them (JSON-safe). */
export interface SavedContestants {
  /** The number of the next contestant's id (`c<n>`). */
  nextId: number;
  entrants: (ContestantConfig & { params: number[]; steps: number })[];
  /** The healthy contestants' learners, bitwise; null when none is racing. */
  race: RaceState | null;
}

/** What an entrant is on top of its configuration: the last finite numbers it had. */
interface Entrant extends ContestantConfig {
  params: number[];
  steps: number;
}

/** How {@link Contestants} tells its owner that one of them diverged. */
export type OnContestantDiverged = (id: string) => void;

/**
 * The race beside the run's own (primary) optimizer: up to {@link MAX_CONTESTANTS} - 1
 * contestants, each a learner of `@adamflow/stream`'s {@link Race}, offered every
 * sample of the run before the primary learns from it, so all train on the same
 * samples in the same order. A contestant that diverges (a non-finite gradient or
 * parameter) leaves the race and keeps its last finite parameters, marked diverged;
 * the others race on. Retuning it (or a reset) enters it again from the start.
 *
 * @example
 * ```ts
 * const contestants = new Contestants(linearRegression(), (id) => console.log(id, 'diverged'));
 * const entered = contestants.add({ optimizer: 'sgd', options: { lr: 0.01 } });
 * contestants.learn(sample, 1);
 * contestants.statuses(); // [{ id: 'c1', params: [...], loss, lossEma, steps: 1 }]
 * ```
 */
export class Contestants {
  private entrants: Entrant[] = [];
  private race: Race | null = null;
  private nextId = 1;

  /**
   * @param model - the model every contestant fits (the run's).
   * @param onDiverged - called, between two samples, when a contestant diverges.
   */
  constructor(
    private model: Model,
    private readonly onDiverged: OnContestantDiverged,
  ) {}

  /** How many there are (the primary not counted). */
  get size(): number {
    return this.entrants.length;
  }

  /**
   * Enters a contestant from the initial parameters.
   *
   * @returns its configuration (with its new id and colour).
   * @throws RangeError when the race is full; TypeError/RangeError for options its optimizer refuses.
   */
  add(entry: {
    optimizer: OptimizerName;
    options?: ContestantOptions;
    name?: string;
  }): ContestantConfig {
    if (this.entrants.length >= MAX_CONTESTANTS - 1) {
      throw new RangeError(
        `at most ${MAX_CONTESTANTS} contestants race at once, the run's own included; remove one first`,
      );
    }
    const id = `c${this.nextId}`;
    const options = defined(entry.options ?? {});
    this.enter({ name: id, optimizer: entry.optimizer, options });
    this.nextId++;
    const entrant: Entrant = {
      id,
      name: entry.name ?? entry.optimizer,
      optimizer: entry.optimizer,
      options,
      colour: this.freeColour(),
      diverged: null,
      params: Array.from(this.race!.get(id)!.learner.params),
      steps: 0,
    };
    this.entrants = [...this.entrants, entrant];
    return configOf(entrant);
  }

  /**
   * Takes a contestant out.
   *
   * @throws RangeError for an unknown id.
   */
  remove(id: string): void {
    const entrant = this.require(id);
    if (entrant.diverged === null) this.leave(id);
    this.entrants = this.entrants.filter((other) => other !== entrant);
  }

  /**
   * Changes a contestant's options: a racing one keeps its parameters and moments; a
   * diverged one enters again from the initial parameters. A refused change changes nothing.
   *
   * @throws RangeError for an unknown id; TypeError/RangeError for options its optimizer refuses.
   */
  retune(id: string, options: ContestantOptions): void {
    const entrant = this.require(id);
    const merged: ContestantOptions = { ...entrant.options, ...defined(options) };
    if (entrant.diverged === null) {
      this.race!.retune(id, defined(options));
    } else {
      this.enter({ name: id, optimizer: entrant.optimizer, options: defined(merged) });
    }
    this.replace({ ...entrant, options: merged, diverged: null });
  }

  /**
   * Starts every contestant over from the initial parameters (after a reset or a new
   * source); diverged ones race again. `model` replaces the model (a new source).
   */
  restart(model: Model = this.model): void {
    const specs = this.entrants.map((entrant) => specOf(entrant));
    // Built before anything changes: options were all accepted once, but a new model may not be.
    const race = specs.length ? new Race({ model, contestants: specs }) : null;
    this.model = model;
    this.race = race;
    this.entrants = this.entrants.map((entrant) => ({
      ...entrant,
      diverged: null,
      params: Array.from(race!.get(entrant.id)!.learner.params),
      steps: 0,
    }));
  }

  /**
   * Offers a sample to every racing contestant (each scores it, then learns). One that
   * diverges leaves the race; the others still learn from this sample.
   *
   * @param sample - the run's next sample.
   * @param samples - the run's sample count with it (for a divergence's record).
   */
  learn(sample: Sample, samples: number): void {
    const race = this.race;
    if (race === null) return;
    try {
      race.learn(sample);
    } catch (error) {
      const failed = (error as { contestant?: unknown }).contestant;
      if (typeof failed !== 'string') throw error;
      // Those after it in the race have not seen the sample: they learn it one by one.
      const list = race.contestants;
      const after = list.slice(list.findIndex((contestant) => contestant.name === failed) + 1);
      this.diverge(failed, error, samples);
      for (const contestant of after) {
        try {
          contestant.learner.learn(sample);
        } catch (other) {
          this.diverge(contestant.name, other, samples);
        }
      }
    }
  }

  /** The contestants' configurations, in entry order. */
  configs(): ContestantConfig[] {
    return this.entrants.map(configOf);
  }

  /**
   * Where each contestant is, in entry order. A racing contestant whose parameters
   * went non-finite without an error diverges here (its last finite ones are shown).
   *
   * @param samples - the run's sample count (for a divergence's record).
   */
  statuses(samples: number): ContestantStatus[] {
    for (const entrant of this.entrants) {
      if (entrant.diverged !== null) continue;
      const learner = this.race!.get(entrant.id)!.learner;
      const params = Array.from(learner.params);
      if (!params.every(Number.isFinite)) {
        const error = Object.assign(new Error('a parameter became non-finite'), {
          code: 'ADAMFLOW_ERR_NON_FINITE_PARAMS',
        });
        this.diverge(entrant.id, error, samples);
        continue;
      }
      entrant.params = params;
      entrant.steps = learner.steps;
    }
    return this.entrants.map((entrant) => {
      const learner = entrant.diverged === null ? this.race!.get(entrant.id)!.learner : null;
      return {
        id: entrant.id,
        params: entrant.params,
        loss: learner ? finiteOrNull(learner.lastLoss) : null,
        lossEma: learner ? finiteOrNull(learner.metrics.live.lossEma) : null,
        steps: entrant.steps,
      };
    });
  }

  /** Everything needed to continue bitwise (see {@link Contestants.load}). */
  state(): SavedContestants {
    return {
      nextId: this.nextId,
      entrants: this.entrants.map((entrant) => ({ ...entrant, params: entrant.params.slice() })),
      race: this.race?.state() ?? null,
    };
  }

  /**
   * Continues from {@link Contestants.state}: the racing ones bitwise where they were.
   * Everything is rebuilt first: a refused state changes nothing.
   *
   * @throws TypeError/RangeError when the state does not fit (another model, a learner state refused).
   */
  load(saved: SavedContestants, model: Model = this.model): void {
    const racing = saved.entrants.filter((entrant) => entrant.diverged === null);
    const names = saved.race?.contestants.map((contestant) => contestant.name) ?? [];
    if (racing.length !== names.length || racing.some((entrant, i) => entrant.id !== names[i])) {
      throw new TypeError('contestants: the racing entrants and the race state disagree');
    }
    if (saved.entrants.length > MAX_CONTESTANTS - 1 || !Number.isSafeInteger(saved.nextId)) {
      throw new RangeError(`contestants: at most ${MAX_CONTESTANTS - 1} besides the primary`);
    }
    let race: Race | null = null;
    if (saved.race !== null) {
      race = new Race({ model, contestants: racing.map(specOf) });
      race.loadState(saved.race);
    }
    this.model = model;
    this.race = race;
    this.nextId = saved.nextId;
    this.entrants = saved.entrants.map((entrant) => ({ ...entrant }));
  }

  private enter(spec: ContestantSpec): void {
    if (this.race === null) this.race = new Race({ model: this.model, contestants: [spec] });
    else this.race.add(spec);
  }

  private leave(id: string): void {
    if (this.race !== null && this.race.contestants.length > 1) this.race.remove(id);
    else this.race = null;
  }

  private diverge(id: string, error: unknown, samples: number): void {
    const entrant = this.entrants.find((other) => other.id === id);
    if (!entrant || entrant.diverged !== null) return;
    const steps = this.race?.get(id)?.learner.steps ?? entrant.steps;
    this.leave(id);
    const code = (error as { code?: unknown } | null)?.code;
    const message = `${entrant.name} diverged at step ${steps}: ${String((error as Error)?.message ?? error)}`;
    const diverged: Diverged = {
      code: typeof code === 'string' ? code.slice(0, 100) : 'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
      message: message.length <= 300 ? message : `${message.slice(0, 299)}…`,
      step: steps,
      samples,
    };
    this.replace({ ...entrant, diverged, steps });
    this.onDiverged(id);
  }

  private replace(next: Entrant): void {
    this.entrants = this.entrants.map((entrant) => (entrant.id === next.id ? next : entrant));
  }

  private require(id: string): Entrant {
    const entrant = this.entrants.find((other) => other.id === id);
    if (!entrant) {
      const ids = this.entrants.map((other) => other.id).join(', ') || 'none';
      throw new RangeError(`no contestant "${id.slice(0, 16)}"; the contestants are ${ids}`);
    }
    return entrant;
  }

  private freeColour(): number {
    const used = new Set(this.entrants.map((entrant) => entrant.colour));
    for (let colour = 1; colour < MAX_CONTESTANTS; colour++) if (!used.has(colour)) return colour;
    return 1;
  }
}

function configOf(entrant: Entrant): ContestantConfig {
  return {
    id: entrant.id,
    name: entrant.name,
    optimizer: entrant.optimizer,
    options: { ...entrant.options },
    colour: entrant.colour,
    diverged: entrant.diverged,
  };
}

function specOf(entrant: ContestantConfig): ContestantSpec {
  return { name: entrant.id, optimizer: entrant.optimizer, options: defined(entrant.options) };
}

/** The options without the keys a parser left undefined. */
function defined(options: ContestantOptions): RaceOptions {
  const out: RaceOptions = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
