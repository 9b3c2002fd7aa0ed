/** Rolling prequential metrics, as emitted with every update. */
export interface MetricsSnapshot {
  /** Samples seen (predicted, then learned). */
  samples: number;
  /** Bias-corrected exponential moving average of the per-sample loss. */
  lossEma: number;
  /** Regression: mean squared error over the window. */
  mse?: number;
  /** Regression: mean absolute error over the window. */
  mae?: number;
  /** Classification: accuracy over the window (positive when P(y = 1) > 0.5). */
  accuracy?: number;
  /** Classification: mean log loss over the window. */
  logLoss?: number;
}

/** The plain-data state of {@link PrequentialMetrics}, for checkpoints. */
export interface MetricsState {
  task: 'regression' | 'classification';
  window: number;
  emaBeta: number;
  samples: number;
  ema: number;
  a: number[];
  b: number[];
  sumA: number;
  sumB: number;
}

/**
 * Prequential (predict-then-learn) evaluation over a sliding window, as River's
 * `evaluate.progressive_val_score` with `utils.Rolling`: each sample is scored by the
 * model *before* it learns from it. Regression tracks MSE and MAE; classification
 * accuracy and log loss. Plus a debiased EMA of the loss, `ema / (1 - beta^n)`.
 *
 * @example
 * ```ts
 * import { PrequentialMetrics } from '@adamflow/stream';
 * const m = new PrequentialMetrics('regression', 100, 0.99);
 * m.record(7.1, 7, 0.01);
 * m.snapshot().mse; // 0.01 (to rounding)
 * ```
 */
export class PrequentialMetrics {
  private samples = 0;
  private slot = 0;
  private ema = 0;
  // The sample count from which 1 - emaBeta^n is exactly 1 (a cache; see debiasedEma).
  private debiasSaturatedAt = Number.POSITIVE_INFINITY;
  // Two ring buffers: regression (squared error, absolute error); classification
  // (correct 0/1, log loss). Running sums avoid a pass over the window per sample.
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private sumA = 0;
  private sumB = 0;
  private liveView: MetricsSnapshot | undefined;

  /**
   * @param task - what the model predicts.
   * @param window - window length in samples (a positive integer).
   * @param emaBeta - EMA decay in [0, 1).
   */
  constructor(
    readonly task: 'regression' | 'classification',
    readonly window: number,
    readonly emaBeta: number,
  ) {
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`window must be a positive integer, got ${String(window)}`);
    }
    if (!(emaBeta >= 0 && emaBeta < 1)) {
      throw new RangeError(`emaBeta must be in [0, 1), got ${String(emaBeta)}`);
    }
    this.a = new Float64Array(window);
    this.b = new Float64Array(window);
  }

  /** Records one sample's prediction, target and loss. */
  record(prediction: number, y: number, loss: number): void {
    const slot = this.slot;
    this.slot = slot + 1 === this.window ? 0 : slot + 1;
    let a: number;
    let b: number;
    if (this.task === 'regression') {
      const error = prediction - y;
      a = error * error;
      b = Math.abs(error);
    } else {
      a = correct(prediction, y);
      b = loss;
    }
    this.sumA += a - this.a[slot]!;
    this.sumB += b - this.b[slot]!;
    this.a[slot] = a;
    this.b[slot] = b;
    this.samples++;
    this.ema = this.emaBeta * this.ema + (1 - this.emaBeta) * loss;
  }

  /**
   * The EMA divided by `1 - beta^n`, with the power computed when read. Tracked per
   * sample as a running product, beta^n sank into the subnormals after ~70 000 samples
   * and stuck at the smallest one (0.99 times it rounds back to it), so every later
   * sample paid for a subnormal multiplication: record() ran twice as slow.
   */
  private debiasedEma(): number {
    const n = this.samples;
    if (n === 0) return Number.NaN;
    // Once 1 - beta^n rounds to 1 it stays 1 (beta^n only shrinks): skip the pow.
    if (n >= this.debiasSaturatedAt) return this.ema;
    const correction = 1 - this.emaBeta ** n;
    if (correction === 1) this.debiasSaturatedAt = n;
    return this.ema / correction;
  }

  /** @returns the current values (a new object). */
  snapshot(): MetricsSnapshot {
    const n = Math.min(this.samples, this.window);
    const a = n ? this.sumA / n : Number.NaN;
    const b = n ? this.sumB / n : Number.NaN;
    // Whole literals (one shape each): adding the task's fields afterwards made
    // every 'copy' update walk two map transitions.
    return this.task === 'regression'
      ? { samples: this.samples, lossEma: this.debiasedEma(), mse: a, mae: b }
      : { samples: this.samples, lossEma: this.debiasedEma(), accuracy: a, logLoss: b };
  }

  /**
   * Records `count` samples at once: bitwise the same as `count` calls of `record`.
   * @param predictions - predictions, from index 0.
   * @param targets - targets, from index `first`.
   * @param losses - losses, from index 0.
   */
  recordMany(
    predictions: Float64Array,
    targets: ArrayLike<number>,
    first: number,
    losses: Float64Array,
    count: number,
  ): void {
    const a = this.a;
    const b = this.b;
    const window = this.window;
    const beta = this.emaBeta;
    let slot = this.slot;
    let sumA = this.sumA;
    let sumB = this.sumB;
    let ema = this.ema;
    // One loop per task, the windowed values written out in each: a shared helper that
    // branches on the task made the loop about twice as slow.
    if (this.task === 'regression') {
      for (let k = 0; k < count; k++) {
        const error = predictions[k]! - targets[first + k]!;
        const va = error * error;
        const vb = Math.abs(error);
        sumA += va - a[slot]!;
        sumB += vb - b[slot]!;
        a[slot] = va;
        b[slot] = vb;
        slot = slot + 1 === window ? 0 : slot + 1;
        ema = beta * ema + (1 - beta) * losses[k]!;
      }
    } else {
      for (let k = 0; k < count; k++) {
        const va = correct(predictions[k]!, targets[first + k]!);
        const vb = losses[k]!;
        sumA += va - a[slot]!;
        sumB += vb - b[slot]!;
        a[slot] = va;
        b[slot] = vb;
        slot = slot + 1 === window ? 0 : slot + 1;
        ema = beta * ema + (1 - beta) * vb;
      }
    }
    this.slot = slot;
    this.sumA = sumA;
    this.sumB = sumB;
    this.ema = ema;
    this.samples += count;
  }

  /**
   * A view whose fields are computed when read, always current: what 'view' mode
   * updates carry, so a consumer that ignores the metrics pays nothing for them.
   */
  get live(): MetricsSnapshot {
    if (!this.liveView) {
      const self = this;
      const mean = (sum: number) => {
        const n = Math.min(self.samples, self.window);
        return n ? sum / n : Number.NaN;
      };
      const view: MetricsSnapshot = {
        get samples() {
          return self.samples;
        },
        get lossEma() {
          return self.debiasedEma();
        },
      };
      const [first, second] = this.task === 'regression' ? ['mse', 'mae'] : ['accuracy', 'logLoss'];
      Object.defineProperty(view, first!, { enumerable: true, get: () => mean(self.sumA) });
      Object.defineProperty(view, second!, { enumerable: true, get: () => mean(self.sumB) });
      this.liveView = view;
    }
    return this.liveView;
  }

  /** Forgets everything. */
  reset(): void {
    this.samples = 0;
    this.slot = 0;
    this.ema = 0;
    this.a.fill(0);
    this.b.fill(0);
    this.sumA = 0;
    this.sumB = 0;
  }

  /** @returns plain data from which {@link PrequentialMetrics.fromState} restores exactly. */
  state(): MetricsState {
    return {
      task: this.task,
      window: this.window,
      emaBeta: this.emaBeta,
      samples: this.samples,
      ema: this.ema,
      a: Array.from(this.a),
      b: Array.from(this.b),
      sumA: this.sumA,
      sumB: this.sumB,
    };
  }

  /**
   * @param state - from {@link PrequentialMetrics.state}.
   * @returns metrics that continue exactly.
   */
  static fromState(state: MetricsState): PrequentialMetrics {
    const m = new PrequentialMetrics(state.task, state.window, state.emaBeta);
    if (state.a.length !== state.window || state.b.length !== state.window) {
      throw new RangeError('metrics state: window buffers have the wrong length');
    }
    m.samples = state.samples;
    m.slot = state.samples % state.window;
    m.ema = state.ema;
    m.a.set(state.a);
    m.b.set(state.b);
    m.sumA = state.sumA;
    m.sumB = state.sumB;
    return m;
  }
}

/**
 * Classification's windowed value: 1 when the thresholded prediction is the label. A
 * probability of exactly 0.5 is the negative class, as in River and scikit-learn.
 */
function correct(prediction: number, y: number): number {
  return (prediction > 0.5 ? 1 : 0) === y ? 1 : 0;
}
