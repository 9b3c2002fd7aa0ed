import { StreamError } from '../errors.js';
import type { Json } from '../preprocessing/stage.js';
import { type Metric, type Prediction, predictedClass } from './metric.js';

/**
 * A confusion matrix over class indices, growing as classes appear, shared by the
 * classification metrics (each keeps its own).
 */
abstract class Confusion implements Metric {
  abstract readonly name: string;
  /** counts[truth][predicted]. */
  protected counts: number[][] = [];
  protected n = 0;

  update(y: number, prediction: Prediction): void {
    this.add(y, predictedClass(prediction), 1);
  }

  revert(y: number, prediction: Prediction): void {
    this.add(y, predictedClass(prediction), -1);
  }

  private add(truth: number, predicted: number, by: number): void {
    if (!Number.isInteger(truth) || truth < 0) {
      throw new StreamError(
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `${this.name}: the target must be a class index (an integer >= 0), got ${String(truth)}`,
      );
    }
    if (truth >= this.counts.length || predicted >= this.counts.length) {
      this.grow(Math.max(truth, predicted) + 1);
    }
    this.counts[truth]![predicted]! += by;
    this.n += by;
  }

  /** Square and dense (no holes), so the per-pair update is two indexed loads. */
  private grow(size: number): void {
    for (const row of this.counts) while (row.length < size) row.push(0);
    while (this.counts.length < size) this.counts.push(new Array<number>(size).fill(0));
  }

  protected cell(truth: number, predicted: number): number {
    return this.counts[truth]?.[predicted] ?? 0;
  }

  /** True positives, false positives and false negatives of class `k`. */
  protected rates(k: number): { tp: number; fp: number; fn: number } {
    let fp = 0;
    let fn = 0;
    for (let c = 0; c < this.counts.length; c++) {
      if (c === k) continue;
      fp += this.cell(c, k);
      fn += this.cell(k, c);
    }
    return { tp: this.cell(k, k), fp, fn };
  }

  abstract get(): number;

  state(): Json {
    return { counts: this.counts.map((row) => [...row]) };
  }

  loadState(state: Json): void {
    const counts = (state as { counts?: unknown } | null)?.counts;
    if (
      !Array.isArray(counts) ||
      !counts.every((row) => Array.isArray(row) && row.every((v) => Number.isInteger(v)))
    ) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        `${this.name} metric state: counts must be rows of integers`,
      );
    }
    this.counts = (counts as number[][]).map((row) => [...row]);
    this.grow(Math.max(this.counts.length, ...this.counts.map((row) => row.length)));
    this.n = this.counts.reduce((sum, row) => sum + row.reduce((s, v) => s + v, 0), 0);
  }
}

/** F1 from its counts; 0 when there is nothing to score (scikit-learn's zero_division=0). */
function f1(tp: number, fp: number, fn: number): number {
  const denominator = 2 * tp + fp + fn;
  return denominator ? (2 * tp) / denominator : 0;
}

/**
 * Accuracy: the share of predictions whose class is the target.
 *
 * @example
 * ```ts
 * import { Accuracy } from '@adamflow/stream';
 * const accuracy = new Accuracy();
 * accuracy.update(1, 0.9);
 * accuracy.update(1, 0.5); // exactly 0.5 is class 0
 * accuracy.get(); // 0.5
 * ```
 */
export class Accuracy extends Confusion {
  readonly name = 'accuracy';
  get(): number {
    let right = 0;
    for (let k = 0; k < this.counts.length; k++) right += this.cell(k, k);
    return this.n ? right / this.n : Number.NaN;
  }
}

/**
 * Precision of class 1 (the positive class), `TP / (TP + FP)`; 0 before any positive prediction.
 *
 * @example
 * ```ts
 * import { Precision } from '@adamflow/stream';
 * const precision = new Precision();
 * precision.update(0, 0.8);
 * precision.update(1, 0.8);
 * precision.get(); // 0.5
 * ```
 */
export class Precision extends Confusion {
  readonly name = 'precision';
  get(): number {
    const { tp, fp } = this.rates(1);
    return tp + fp ? tp / (tp + fp) : 0;
  }
}

/**
 * Recall of class 1, `TP / (TP + FN)`; 0 before any positive target.
 *
 * @example
 * ```ts
 * import { Recall } from '@adamflow/stream';
 * const recall = new Recall();
 * recall.update(1, 0.2);
 * recall.update(1, 0.8);
 * recall.get(); // 0.5
 * ```
 */
export class Recall extends Confusion {
  readonly name = 'recall';
  get(): number {
    const { tp, fn } = this.rates(1);
    return tp + fn ? tp / (tp + fn) : 0;
  }
}

/**
 * F1 of class 1, `2TP / (2TP + FP + FN)`.
 *
 * @example
 * ```ts
 * import { F1 } from '@adamflow/stream';
 * const f1 = new F1();
 * f1.update(1, 0.8);
 * f1.update(0, 0.8);
 * f1.get(); // 0.666…
 * ```
 */
export class F1 extends Confusion {
  readonly name = 'f1';
  get(): number {
    const { tp, fp, fn } = this.rates(1);
    return f1(tp, fp, fn);
  }
}

/**
 * Macro-averaged F1: the mean of every class's F1, over the classes seen so far as a
 * target or a prediction (scikit-learn's `average='macro'`).
 *
 * @example
 * ```ts
 * import { MacroF1 } from '@adamflow/stream';
 * const macro = new MacroF1();
 * macro.update(2, [0.1, 0.2, 0.7]);
 * macro.update(0, [0.1, 0.8, 0.1]);
 * macro.get(); // (0 + 0 + 1) / 3
 * ```
 */
export class MacroF1 extends Confusion {
  readonly name = 'macro-f1';
  get(): number {
    let sum = 0;
    let classes = 0;
    for (let k = 0; k < this.counts.length; k++) {
      const { tp, fp, fn } = this.rates(k);
      if (tp + fp + fn === 0) continue;
      sum += f1(tp, fp, fn);
      classes++;
    }
    return classes ? sum / classes : Number.NaN;
  }
}
