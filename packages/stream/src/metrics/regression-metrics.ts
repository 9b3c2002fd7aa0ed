import type { Json } from '../preprocessing/stage.js';
import { type Metric, type Prediction, readNumbers } from './metric.js';

/** Shared running sums of the regression metrics (all revertible). */
abstract class ErrorSums implements Metric {
  abstract readonly name: string;
  protected n = 0;
  protected sumAbs = 0;
  protected sumSquares = 0;

  update(y: number, prediction: Prediction): void {
    const e = (prediction as number) - y;
    this.n++;
    this.sumAbs += Math.abs(e);
    this.sumSquares += e * e;
  }

  revert(y: number, prediction: Prediction): void {
    const e = (prediction as number) - y;
    this.n--;
    this.sumAbs -= Math.abs(e);
    this.sumSquares -= e * e;
  }

  abstract get(): number;

  state(): Json {
    return { n: this.n, sumAbs: this.sumAbs, sumSquares: this.sumSquares };
  }

  loadState(state: Json): void {
    ({
      n: this.n,
      sumAbs: this.sumAbs,
      sumSquares: this.sumSquares,
    } = readNumbers(this.name, state, ['n', 'sumAbs', 'sumSquares']));
  }
}

/**
 * Mean absolute error, `Σ|ŷ - y| / n`.
 *
 * @example
 * ```ts
 * import { MAE } from '@adamflow/stream';
 * const mae = new MAE();
 * mae.update(3, 2.5);
 * mae.get(); // 0.5
 * ```
 */
export class MAE extends ErrorSums {
  readonly name = 'mae';
  get(): number {
    return this.n ? this.sumAbs / this.n : Number.NaN;
  }
}

/**
 * Mean squared error, `Σ(ŷ - y)² / n`.
 *
 * @example
 * ```ts
 * import { MSE } from '@adamflow/stream';
 * const mse = new MSE();
 * mse.update(3, 2.5);
 * mse.get(); // 0.25
 * ```
 */
export class MSE extends ErrorSums {
  readonly name = 'mse';
  get(): number {
    return this.n ? this.sumSquares / this.n : Number.NaN;
  }
}

/**
 * Root mean squared error, `sqrt(MSE)`.
 *
 * @example
 * ```ts
 * import { RMSE } from '@adamflow/stream';
 * const rmse = new RMSE();
 * rmse.update(3, 1);
 * rmse.get(); // 2
 * ```
 */
export class RMSE extends ErrorSums {
  readonly name = 'rmse';
  get(): number {
    return this.n ? Math.sqrt(this.sumSquares / this.n) : Number.NaN;
  }
}

/**
 * Coefficient of determination, `1 - Σ(y - ŷ)² / Σ(y - ȳ)²`, the targets' spread
 * tracked by Welford's recurrence (which `revert` runs backwards). NaN before two
 * targets; 0 while all targets are equal (scikit-learn's `force_finite`), unless the
 * predictions are exact (then 1).
 *
 * @example
 * ```ts
 * import { R2 } from '@adamflow/stream';
 * const r2 = new R2();
 * r2.update(1, 1.5);
 * r2.update(3, 2.5);
 * r2.get(); // 0.75
 * ```
 */
export class R2 implements Metric {
  readonly name = 'r2';
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private residual = 0;

  update(y: number, prediction: Prediction): void {
    const e = y - (prediction as number);
    this.residual += e * e;
    this.n++;
    const d = y - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (y - this.mean);
  }

  revert(y: number, prediction: Prediction): void {
    const e = y - (prediction as number);
    this.residual -= e * e;
    if (this.n === 1) {
      this.n = 0;
      this.mean = 0;
      this.m2 = 0;
      return;
    }
    const old = this.mean;
    this.mean = (this.n * old - y) / (this.n - 1);
    this.m2 -= (y - this.mean) * (y - old);
    this.n--;
  }

  get(): number {
    if (this.n < 2) return Number.NaN;
    if (!(this.m2 > 0)) return this.residual === 0 ? 1 : 0;
    return 1 - this.residual / this.m2;
  }

  state(): Json {
    return { n: this.n, mean: this.mean, m2: this.m2, residual: this.residual };
  }

  loadState(state: Json): void {
    ({
      n: this.n,
      mean: this.mean,
      m2: this.m2,
      residual: this.residual,
    } = readNumbers(this.name, state, ['n', 'mean', 'm2', 'residual']));
  }
}
