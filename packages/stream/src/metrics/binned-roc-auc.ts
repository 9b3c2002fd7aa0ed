import { StreamError } from '../errors.js';
import type { Json } from '../preprocessing/stage.js';
import { type Metric, type Prediction, readNumbers } from './metric.js';

/** The thresholds River's `metrics.ROCAUC` uses by default. */
const DEFAULT_THRESHOLDS = 10;

/**
 * Area under the ROC curve approximated on a fixed grid of thresholds, in constant
 * memory: River's `metrics.ROCAUC` definition, so that River's printed figures can be
 * reproduced. For `T` thresholds `t_i = i / (T - 1)` (the first lowered and the last
 * raised by 1e-7, so that P = 0 and P = 1 fall inside), it counts, for each, the
 * positives and negatives scored `P(y = 1) > t_i`; the area is the trapezoid rule over
 * the resulting (false positive rate, true positive rate) points, a rate with an empty
 * denominator counting 0.
 *
 * It differs from the exact {@link RocAuc} (scikit-learn's `roc_auc_score`): pairs that
 * fall between two thresholds count half whatever their order, so the figure is only as
 * fine as the grid (River's own example: exact 0.75, 10 thresholds 0.875, 20 thresholds
 * 0.75). Use `rocauc` unless a figure from River is to be matched.
 *
 * @example
 * ```ts
 * import { BinnedRocAuc } from '@adamflow/stream';
 * const auc = new BinnedRocAuc();
 * auc.update(0, 0.1);
 * auc.update(0, 0.4);
 * auc.update(1, 0.35);
 * auc.update(1, 0.8);
 * auc.get(); // 0.875 (the exact area is 0.75)
 * ```
 */
export class BinnedRocAuc implements Metric {
  readonly name = 'rocauc-binned';
  private readonly thresholds: Float64Array;
  // Per threshold: positives above it, negatives above it.
  private readonly positivesAbove: Float64Array;
  private readonly negativesAbove: Float64Array;
  private positives = 0;
  private negatives = 0;

  /**
   * @param thresholds - the grid's size, an integer >= 2; default 10 (River's).
   * @throws RangeError for another value.
   */
  constructor(thresholds = DEFAULT_THRESHOLDS) {
    if (!Number.isInteger(thresholds) || thresholds < 2) {
      throw new RangeError(
        `rocauc-binned: thresholds must be an integer >= 2, got ${String(thresholds)}`,
      );
    }
    this.thresholds = new Float64Array(thresholds);
    for (let i = 0; i < thresholds; i++) this.thresholds[i] = i / (thresholds - 1);
    this.thresholds[0]! -= 1e-7;
    this.thresholds[thresholds - 1]! += 1e-7;
    this.positivesAbove = new Float64Array(thresholds);
    this.negativesAbove = new Float64Array(thresholds);
  }

  update(y: number, prediction: Prediction): void {
    this.add(y, prediction, 1);
  }

  revert(y: number, prediction: Prediction): void {
    this.add(y, prediction, -1);
  }

  private add(y: number, prediction: Prediction, by: number): void {
    if (typeof prediction !== 'number' || (y !== 0 && y !== 1)) {
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `rocauc-binned: needs a binary target (0 or 1) and P(y = 1), got y = ${String(y)}`,
      );
    }
    const above = y === 1 ? this.positivesAbove : this.negativesAbove;
    if (y === 1) this.positives += by;
    else this.negatives += by;
    for (let i = 0; i < this.thresholds.length; i++) {
      if (prediction > this.thresholds[i]!) above[i]! += by;
    }
  }

  get(): number {
    let area = 0;
    let previousTpr = 0;
    let previousFpr = 0;
    // From the highest threshold down, the false positive rate grows: no sign flip.
    for (let i = this.thresholds.length - 1; i >= 0; i--) {
      const tpr = this.positives > 0 ? this.positivesAbove[i]! / this.positives : 0;
      const fpr = this.negatives > 0 ? this.negativesAbove[i]! / this.negatives : 0;
      if (i < this.thresholds.length - 1) area += ((fpr - previousFpr) * (tpr + previousTpr)) / 2;
      previousTpr = tpr;
      previousFpr = fpr;
    }
    return area;
  }

  state(): Json {
    return {
      thresholds: this.thresholds.length,
      positives: this.positives,
      negatives: this.negatives,
      positivesAbove: Array.from(this.positivesAbove),
      negativesAbove: Array.from(this.negativesAbove),
    };
  }

  loadState(state: Json): void {
    const { thresholds, positives, negatives } = readNumbers('rocauc-binned', state, [
      'thresholds',
      'positives',
      'negatives',
    ]);
    const record = state as Record<string, Json>;
    const positivesAbove = record['positivesAbove'];
    const negativesAbove = record['negativesAbove'];
    const fits = (list: Json | undefined) =>
      Array.isArray(list) &&
      list.length === this.thresholds.length &&
      list.every((n) => typeof n === 'number');
    if (thresholds !== this.thresholds.length || !fits(positivesAbove) || !fits(negativesAbove)) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        `rocauc-binned metric state: expected ${this.thresholds.length} thresholds with a count above each`,
      );
    }
    this.positives = positives;
    this.negatives = negatives;
    this.positivesAbove.set(positivesAbove as number[]);
    this.negativesAbove.set(negativesAbove as number[]);
  }
}
