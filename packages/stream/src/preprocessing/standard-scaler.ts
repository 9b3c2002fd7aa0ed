import { count, numberAt, numbers, type Stage, type StageSpec } from './stage.js';

/**
 * Online standardisation, River's `preprocessing.StandardScaler`: per feature a running
 * mean and population variance, updated by Welford's recurrence in River's form
 * (`mean += (x - mean) / n`, `var += ((x - oldMean) (x - mean) - var) / n`), and the
 * transform `(x - mean) / sqrt(var)`, with 0 for a feature whose variance is 0 (so the
 * first row maps to all zeros).
 *
 * @returns the stage spec.
 * @example
 * ```ts
 * import { standardScaler } from '@adamflow/stream';
 * const scaler = standardScaler().build(2);
 * scaler.learn([1, 10]);
 * scaler.learn([3, 10]);
 * const out = new Float64Array(2);
 * scaler.transform([3, 10], out); // [1, 0]
 * ```
 */
export function standardScaler(): StageSpec {
  return { kind: 'standard-scaler', options: {}, build: (inputs) => new StandardScaler(inputs) };
}

class StandardScaler implements Stage {
  readonly kind = 'standard-scaler';
  readonly outputs: number;
  private count = 0;
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;

  constructor(readonly inputs: number) {
    this.outputs = inputs;
    this.mean = new Float64Array(inputs);
    this.variance = new Float64Array(inputs);
  }

  learn(x: ArrayLike<number | string>): void {
    for (let j = 0; j < this.inputs; j++) numberAt(x, j, this.kind);
    const n = ++this.count;
    const mean = this.mean;
    const variance = this.variance;
    for (let j = 0; j < this.inputs; j++) {
      const v = x[j] as number;
      const old = mean[j]!;
      const next = old + (v - old) / n;
      mean[j] = next;
      variance[j] = variance[j]! + ((v - old) * (v - next) - variance[j]!) / n;
    }
  }

  transform(x: ArrayLike<number | string>, out: Float64Array): void {
    const mean = this.mean;
    const variance = this.variance;
    for (let j = 0; j < this.inputs; j++) {
      const v = numberAt(x, j, this.kind);
      const s = variance[j]!;
      out[j] = s > 0 ? (v - mean[j]!) / Math.sqrt(s) : 0;
    }
  }

  state() {
    return { count: this.count, mean: Array.from(this.mean), variance: Array.from(this.variance) };
  }

  loadState(state: Parameters<Stage['loadState']>[0]): void {
    const mean = numbers(state, 'mean', this.inputs, this.kind);
    const variance = numbers(state, 'variance', this.inputs, this.kind);
    this.count = count(state, 'count', this.kind);
    this.mean.set(mean);
    this.variance.set(variance);
  }
}
