import { StreamError } from '../errors.js';
import type { Json } from '../preprocessing/stage.js';
import type { Metric, Prediction } from './metric.js';

/**
 * Exact area under the ROC curve of a binary classifier's P(y = 1): the probability
 * that a random positive scores above a random negative, ties counting half
 * (scikit-learn's `roc_auc_score`). It keeps one pair of counts per distinct score, so
 * its memory grows with the number of distinct scores seen (up to one per sample);
 * `get()` sorts them (O(k log k)). Under {@link rolling} it is exact over the window
 * and holds at most a window's worth of scores. NaN until both classes have appeared.
 *
 * @example
 * ```ts
 * import { RocAuc } from '@adamflow/stream';
 * const auc = new RocAuc();
 * auc.update(0, 0.1);
 * auc.update(1, 0.4);
 * auc.update(0, 0.35);
 * auc.update(1, 0.8);
 * auc.get(); // 1
 * ```
 */
export class RocAuc implements Metric {
  readonly name = 'rocauc';
  // score -> [negatives, positives] with that score.
  private counts = new Map<number, [number, number]>();

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
        `rocauc: needs a binary target (0 or 1) and P(y = 1), got y = ${String(y)}`,
      );
    }
    let pair = this.counts.get(prediction);
    if (!pair) {
      pair = [0, 0];
      this.counts.set(prediction, pair);
    }
    pair[y] += by;
    if (pair[0] === 0 && pair[1] === 0) this.counts.delete(prediction);
  }

  get(): number {
    const scores = [...this.counts.keys()].sort((a, b) => a - b);
    let negativesBelow = 0;
    let area = 0;
    let positives = 0;
    for (const score of scores) {
      const [negatives, pos] = this.counts.get(score)!;
      area += pos * (negativesBelow + negatives / 2);
      negativesBelow += negatives;
      positives += pos;
    }
    return positives && negativesBelow ? area / (positives * negativesBelow) : Number.NaN;
  }

  state(): Json {
    return { counts: [...this.counts].map(([score, [n, p]]) => [score, n, p]) };
  }

  loadState(state: Json): void {
    const rows = (state as { counts?: unknown } | null)?.counts;
    if (
      !Array.isArray(rows) ||
      !rows.every(
        (r) => Array.isArray(r) && r.length === 3 && r.every((v) => typeof v === 'number'),
      )
    ) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        'rocauc metric state: counts must be [score, negatives, positives] triples',
      );
    }
    this.counts = new Map(rows.map(([score, n, p]: number[]) => [score!, [n!, p!]]));
  }
}
