import { StreamError } from '../errors.js';

/** JSON-safe plain data. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A preprocessing stage built for a given input width: it learns statistics from raw
 * rows and transforms rows into a caller's buffer (nothing allocated per row).
 */
export interface Stage {
  /** The stage's kind, as in its {@link StageSpec}. */
  readonly kind: string;
  /** Values per input row. */
  readonly inputs: number;
  /** Values per output row. */
  readonly outputs: number;
  /** Updates the statistics with one input row (River's `learn_one`). */
  learn(x: ArrayLike<number | string>): void;
  /** Writes the transform of `x` with the current statistics into `out[0 .. outputs)`. */
  transform(x: ArrayLike<number | string>, out: Float64Array): void;
  /** @returns the JSON-safe statistics. */
  state(): Json;
  /** Restores {@link Stage.state}; throws `ADAMFLOW_ERR_CHECKPOINT_INVALID` on a mismatch. */
  loadState(state: Json): void;
}

/**
 * What a pipeline is built from: a stage's kind and options (saved in checkpoints),
 * and how to build it for an input width.
 */
export interface StageSpec {
  /** The kind, e.g. `'standard-scaler'`. */
  readonly kind: string;
  /** The options, JSON-safe, enough to build it again. */
  readonly options: { [key: string]: Json };
  /** Builds the stage for rows of `inputs` values. */
  build(inputs: number): Stage;
}

/** @internal The number at `x[j]`, or a coded error for text in a numeric column. */
export function numberAt(x: ArrayLike<number | string>, j: number, kind: string): number {
  const v = x[j];
  if (typeof v !== 'number') {
    throw new StreamError(
      'ADAMFLOW_ERR_ROW_VALUE',
      `${kind}: input ${j} is ${JSON.stringify(v)}, not a number; encode text columns with oneHot first`,
    );
  }
  return v;
}

/** @internal Checks that `state[key]` is an array of `length` numbers. */
export function numbers(state: Json, key: string, length: number, kind: string): number[] {
  const value = (state as { [key: string]: Json } | null)?.[key];
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    !value.every((v) => typeof v === 'number')
  ) {
    throw new StreamError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `${kind} state: ${key} must be ${length} numbers`,
    );
  }
  return value as number[];
}

/** @internal Checks that `state[key]` is an integer >= 0. */
export function count(state: Json, key: string, kind: string): number {
  const value = (state as { [key: string]: Json } | null)?.[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StreamError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `${kind} state: ${key} must be an integer >= 0`,
    );
  }
  return value;
}
