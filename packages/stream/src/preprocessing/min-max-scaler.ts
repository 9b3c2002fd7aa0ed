import { numberAt, numbers, type Stage, type StageSpec } from './stage.js';

/**
 * Online min-max scaling, River's `preprocessing.MinMaxScaler`: per feature the running
 * minimum and maximum, and the transform `(x - min) / (max - min)`, with 0 while
 * `max = min` (and before the first row).
 *
 * @returns the stage spec.
 * @example
 * ```ts
 * import { minMaxScaler } from '@adamflow/stream';
 * const scaler = minMaxScaler().build(1);
 * scaler.learn([2]);
 * scaler.learn([6]);
 * const out = new Float64Array(1);
 * scaler.transform([5], out); // [0.75]
 * ```
 */
export function minMaxScaler(): StageSpec {
  return { kind: 'min-max-scaler', options: {}, build: (inputs) => new MinMaxScaler(inputs) };
}

class MinMaxScaler implements Stage {
  readonly kind = 'min-max-scaler';
  readonly outputs: number;
  private readonly min: Float64Array;
  private readonly max: Float64Array;

  constructor(readonly inputs: number) {
    this.outputs = inputs;
    this.min = new Float64Array(inputs).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(inputs).fill(Number.NEGATIVE_INFINITY);
  }

  learn(x: ArrayLike<number | string>): void {
    for (let j = 0; j < this.inputs; j++) numberAt(x, j, this.kind);
    for (let j = 0; j < this.inputs; j++) {
      const v = x[j] as number;
      if (v < this.min[j]!) this.min[j] = v;
      if (v > this.max[j]!) this.max[j] = v;
    }
  }

  transform(x: ArrayLike<number | string>, out: Float64Array): void {
    for (let j = 0; j < this.inputs; j++) {
      const v = numberAt(x, j, this.kind);
      const range = this.max[j]! - this.min[j]!;
      out[j] = range > 0 ? (v - this.min[j]!) / range : 0;
    }
  }

  // ±Infinity (no row yet) is not JSON: stored as null.
  state() {
    const plain = (a: Float64Array) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
    return { min: plain(this.min), max: plain(this.max) };
  }

  loadState(state: Parameters<Stage['loadState']>[0]): void {
    const read = (key: string, empty: number) => {
      const raw = (state as Record<string, unknown> | null)?.[key];
      const values = Array.isArray(raw) ? raw.map((v) => (v === null ? empty : v)) : raw;
      return numbers({ [key]: values as number[] }, key, this.inputs, this.kind);
    };
    const min = read('min', Number.POSITIVE_INFINITY);
    const max = read('max', Number.NEGATIVE_INFINITY);
    this.min.set(min);
    this.max.set(max);
  }
}
