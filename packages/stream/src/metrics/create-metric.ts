import { BinnedRocAuc } from './binned-roc-auc.js';
import { Accuracy, F1, MacroF1, Precision, Recall } from './confusion-metrics.js';
import { LogLoss } from './log-loss.js';
import type { Metric } from './metric.js';
import { MAE, MSE, R2, RMSE } from './regression-metrics.js';
import { RocAuc } from './roc-auc.js';
import { rolling } from './rolling.js';

const METRICS = {
  mae: () => new MAE(),
  mse: () => new MSE(),
  rmse: () => new RMSE(),
  r2: () => new R2(),
  accuracy: () => new Accuracy(),
  precision: () => new Precision(),
  recall: () => new Recall(),
  f1: () => new F1(),
  'macro-f1': () => new MacroF1(),
  logloss: () => new LogLoss(),
  rocauc: () => new RocAuc(),
  'rocauc-binned': () => new BinnedRocAuc(),
} as const;

/** The metrics {@link createMetric} knows, by name. */
export type MetricName = keyof typeof METRICS;

/** Every {@link MetricName}, in a stable order. */
export const metricNames = Object.freeze(Object.keys(METRICS)) as readonly MetricName[];

/**
 * Builds a metric by name, cumulative or rolling.
 *
 * @param name - one of {@link metricNames}.
 * @param window - a window in pairs for a rolling metric; omit for cumulative.
 * @returns the metric.
 * @example
 * ```ts
 * import { createMetric } from '@adamflow/stream';
 * const accuracy = createMetric('accuracy');
 * const recentMae = createMetric('mae', 1000);
 * ```
 */
export function createMetric(name: MetricName, window?: number): Metric {
  if (typeof name !== 'string' || !Object.hasOwn(METRICS, name)) {
    throw new TypeError(
      `metric must be one of ${metricNames.join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  const metric = METRICS[name]();
  return window === undefined ? metric : rolling(metric, window);
}
