import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fromCsv } from '../data/from-csv.js';
import type { Row } from '../data/row.js';
import { createMetric } from '../metrics/create-metric.js';
import { linearRegression, logisticRegression } from '../model.js';
import { softmaxRegression } from '../models/softmax-regression.js';
import { pipeline } from '../pipeline.js';
import { standardScaler } from '../preprocessing/standard-scaler.js';
import { progressiveValidation, type ValidationReport } from './progressive-validation.js';

// River's Phishing dataset (see fixtures/README.md).
const PHISHING = new URL('../../fixtures/phishing.csv.gz', import.meta.url).pathname;

const riverPipeline = () =>
  pipeline({
    inputs: 9,
    stages: [standardScaler()],
    model: (features) => logisticRegression({ features }),
    optimizer: { name: 'sgd', options: { lr: 0.1 }, interceptLr: 0.01 },
  });

describe('progressiveValidation', () => {
  it("reproduces River's published Phishing figure: Accuracy 88.96%", async () => {
    const report = await progressiveValidation(
      fromCsv(PHISHING, { target: 'is_phishing' }),
      riverPipeline(),
      { metrics: [createMetric('accuracy')] },
    );
    expect(report.samples).toBe(1250);
    expect((report.metrics['accuracy']! * 100).toFixed(2)).toBe('88.96');
  });

  it('gives the same result from an array, an Observable and the CSV; reports every N', async () => {
    const rows: Row[] = [];
    for await (const row of fromCsv(PHISHING, { target: 'is_phishing' })) rows.push(row);
    const reports: ValidationReport[] = [];
    const fromArray = await progressiveValidation(rows, riverPipeline(), {
      metrics: [createMetric('accuracy'), createMetric('logloss')],
      every: 500,
      onReport: (r) => reports.push(r),
    });
    const fromObservable = await progressiveValidation(from(rows), riverPipeline(), {
      metrics: [createMetric('accuracy'), createMetric('logloss')],
    });
    expect(fromObservable).toEqual(fromArray);
    expect(reports.map((r) => r.samples)).toEqual([500, 1000]);
    expect(fromArray.metrics['accuracy']).toBe(0.8896);
  });

  it('scores K classes by their probabilities, not the class index', async () => {
    // Class k's feature k is 1: separable, so a learned model is nearly always right.
    const rows = Array.from({ length: 900 }, (_, i) => ({
      x: [0, 1, 2].map((k) => (k === i % 3 ? 1 : 0)),
      y: i % 3,
    }));
    const model = pipeline({
      inputs: 3,
      model: (features) => softmaxRegression({ features, classes: 3 }),
      optimizer: { name: 'adam', options: { lr: 0.1 } },
    });
    const report = await progressiveValidation(rows, model, {
      metrics: [createMetric('accuracy'), createMetric('macro-f1'), createMetric('logloss')],
    });
    expect(report.metrics['accuracy']).toBeGreaterThan(0.95);
    expect(report.metrics['macro-f1']).toBeGreaterThan(0.95);
    expect(report.metrics['logloss']).toBeLessThan(0.5);
  });

  it('stops after limit rows and leaves the rest unread', async () => {
    const stream = fromCsv(PHISHING, { target: 'is_phishing' });
    const report = await progressiveValidation(stream, riverPipeline(), {
      metrics: [createMetric('accuracy')],
      limit: 300,
    });
    expect([report.samples, stream.position().rows]).toEqual([300, 300]);
  });

  it('a diverging run stops with ADAMFLOW_ERR_DIVERGED naming the sample', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ x: [i % 7, 1e3], y: 1e6 }));
    const model = pipeline({
      inputs: 2,
      model: (features) => linearRegression({ features }),
      optimizer: { name: 'sgd', options: { lr: 1e9 } },
    });
    await expect(
      progressiveValidation(rows, model, { metrics: [createMetric('mse')] }),
    ).rejects.toMatchObject({
      code: 'ADAMFLOW_ERR_DIVERGED',
      message: expect.stringMatching(/diverged at sample \d+/),
    });
  });
});
