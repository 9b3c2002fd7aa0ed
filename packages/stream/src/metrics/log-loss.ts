import type { Json } from '../preprocessing/stage.js';
import { type Metric, type Prediction, readNumbers } from './metric.js';

/** Probabilities are clamped to [EPS, 1 - EPS] before the log. */
const EPS = 1e-15;

/**
 * Mean log loss (cross-entropy): `-log p(y)`, where p(y) is P(y = 1) or 1 - P(y = 1)
 * for a binary prediction, or the vector's entry `y` for a multiclass one, clamped to
 * `[1e-15, 1 - 1e-15]`.
 *
 * @example
 * ```ts
 * import { LogLoss } from '@adamflow/stream';
 * const loss = new LogLoss();
 * loss.update(1, 0.5);
 * loss.get(); // Math.LN2
 * ```
 */
export class LogLoss implements Metric {
  readonly name = 'logloss';
  private n = 0;
  private sum = 0;

  private static loss(y: number, prediction: Prediction): number {
    const p =
      typeof prediction === 'number' ? (y === 1 ? prediction : 1 - prediction) : prediction[y]!;
    return -Math.log(Math.min(Math.max(p, EPS), 1 - EPS));
  }

  update(y: number, prediction: Prediction): void {
    this.n++;
    this.sum += LogLoss.loss(y, prediction);
  }

  revert(y: number, prediction: Prediction): void {
    this.n--;
    this.sum -= LogLoss.loss(y, prediction);
  }

  get(): number {
    return this.n ? this.sum / this.n : Number.NaN;
  }

  state(): Json {
    return { n: this.n, sum: this.sum };
  }

  loadState(state: Json): void {
    ({ n: this.n, sum: this.sum } = readNumbers(this.name, state, ['n', 'sum']));
  }
}
