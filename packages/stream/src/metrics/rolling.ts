import { StreamError } from '../errors.js';
import type { Json } from '../preprocessing/stage.js';
import type { Metric, Prediction } from './metric.js';

/**
 * A metric over the last `window` pairs only (River's `utils.Rolling`): each update
 * past the window reverts the oldest pair. The pairs are kept (copied, for vector
 * predictions), so memory is bounded by the window. Sums reverted in floating point
 * can differ from a fresh computation over the window in the last bits.
 *
 * @param metric - a fresh metric.
 * @param window - pairs to keep, a positive integer.
 * @returns the rolling metric, named like `metric`.
 * @example
 * ```ts
 * import { MAE, rolling } from '@adamflow/stream';
 * const mae = rolling(new MAE(), 2);
 * mae.update(0, 10);
 * mae.update(0, 1);
 * mae.update(0, 3);
 * mae.get(); // 2
 * ```
 */
export function rolling(metric: Metric, window: number): Metric {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`rolling: window must be a positive integer, got ${String(window)}`);
  }
  return new Rolling(metric, window);
}

class Rolling implements Metric {
  private targets: number[] = [];
  private predictions: Prediction[] = [];
  private oldest = 0;

  constructor(
    private readonly inner: Metric,
    readonly window: number,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  update(y: number, prediction: Prediction): void {
    const kept = typeof prediction === 'number' ? prediction : Float64Array.from(prediction);
    this.inner.update(y, kept);
    if (this.targets.length < this.window) {
      this.targets.push(y);
      this.predictions.push(kept);
      return;
    }
    const slot = this.oldest;
    this.inner.revert(this.targets[slot]!, this.predictions[slot]!);
    this.targets[slot] = y;
    this.predictions[slot] = kept;
    this.oldest = (slot + 1) % this.window;
  }

  revert(): void {
    throw new TypeError('rolling metrics cannot be reverted');
  }

  get(): number {
    return this.inner.get();
  }

  /** The pairs in arrival order, with the inner metric's state. */
  state(): Json {
    const order = (i: number) => (this.oldest + i) % this.targets.length;
    return {
      window: this.window,
      inner: this.inner.state(),
      targets: this.targets.map((_, i) => this.targets[order(i)]!),
      predictions: this.predictions.map((_, i) => {
        const p = this.predictions[order(i)]!;
        return typeof p === 'number' ? p : Array.from(p);
      }),
    };
  }

  loadState(state: Json): void {
    const s = state as { window?: unknown; inner?: Json; targets?: unknown; predictions?: unknown };
    if (
      s?.window !== this.window ||
      !Array.isArray(s.targets) ||
      !Array.isArray(s.predictions) ||
      s.targets.length !== s.predictions.length ||
      s.targets.length > this.window
    ) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        `rolling ${this.name} state: expected a window of ${this.window} with matching targets and predictions`,
      );
    }
    this.inner.loadState(s.inner ?? null);
    this.targets = [...(s.targets as number[])];
    this.predictions = (s.predictions as (number | number[])[]).map((p) =>
      typeof p === 'number' ? p : Float64Array.from(p),
    );
    this.oldest = 0;
  }
}
