import { StreamError } from '../errors.js';
import type { Json } from '../preprocessing/stage.js';

/**
 * A prediction as metrics take it: a regression value; for a binary classifier
 * P(y = 1) (class 1 when it is > 0.5, so exactly 0.5 is class 0, as in River and
 * scikit-learn); or a vector of class probabilities (class = the first largest).
 */
export type Prediction = number | ArrayLike<number>;

/**
 * A metric, updated one (target, prediction) pair at a time. `revert` undoes an
 * `update` of the same pair, which is what {@link rolling} windows are made of.
 */
export interface Metric {
  /** Its name as the CLI spells it, e.g. `'macro-f1'`. */
  readonly name: string;
  /** Adds one pair. */
  update(y: number, prediction: Prediction): void;
  /** Removes a pair added before. */
  revert(y: number, prediction: Prediction): void;
  /** The current value (NaN while undefined, e.g. before any pair). */
  get(): number;
  /** @returns the JSON-safe state. */
  state(): Json;
  /** Restores {@link Metric.state}. */
  loadState(state: Json): void;
}

/** @internal The class a prediction stands for. */
export function predictedClass(prediction: Prediction): number {
  if (typeof prediction === 'number') return prediction > 0.5 ? 1 : 0;
  let best = 0;
  for (let k = 1; k < prediction.length; k++) if (prediction[k]! > prediction[best]!) best = k;
  return best;
}

/** @internal Reads numeric fields of a state object, refusing anything else. */
export function readNumbers<K extends string>(
  name: string,
  state: Json,
  keys: readonly K[],
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const key of keys) {
    const value = (state as Record<string, Json> | null)?.[key];
    if (typeof value !== 'number') {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        `${name} metric state: ${key} must be a number`,
      );
    }
    out[key] = value;
  }
  return out;
}
