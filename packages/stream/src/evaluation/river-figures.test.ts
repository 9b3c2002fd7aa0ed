import { describe, expect, it } from 'vitest';
import { fromCsv } from '../data/from-csv.js';
import { createMetric, type MetricName } from '../metrics/create-metric.js';
import { logisticRegression } from '../model.js';
import { type OptimizerChoice, pipeline } from '../pipeline.js';
import { standardScaler } from '../preprocessing/standard-scaler.js';
import { progressiveValidation, type ValidationReport } from './progressive-validation.js';

// Figures River's documentation prints for `StandardScaler() | LogisticRegression(optimizer)`
// under `progressive_val_score` on its Phishing dataset (fixtures/README.md lists each one's
// source). River steps the intercept apart by plain SGD at intercept_lr 0.01; each optimizer
// is given River's defaults and River's placement of eps.
const PHISHING = new URL('../../fixtures/phishing.csv.gz', import.meta.url).pathname;

async function validate(
  optimizer: OptimizerChoice,
  metrics: MetricName[],
  every?: number,
): Promise<{ report: ValidationReport; reports: ValidationReport[] }> {
  const reports: ValidationReport[] = [];
  const report = await progressiveValidation(
    fromCsv(PHISHING, { target: 'is_phishing' }),
    pipeline({
      inputs: 9,
      stages: [standardScaler()],
      model: (features) => logisticRegression({ features }),
      optimizer,
    }),
    {
      metrics: metrics.map((name) => createMetric(name)),
      ...(every ? { every, onReport: (r: ValidationReport) => reports.push(r) } : {}),
    },
  );
  return { report, reports };
}

const percent = (value: number | undefined) => ((value ?? Number.NaN) * 100).toFixed(2);

describe("River's published Phishing figures", () => {
  it('SGD(0.1): F1 87.85% (0.878521), Accuracy 88.96%, confusion matrix [[613, 89], [49, 499]]', async () => {
    const { report } = await validate({ name: 'sgd', options: { lr: 0.1 }, interceptLr: 0.01 }, [
      'f1',
      'accuracy',
      'precision',
      'recall',
    ]);
    const { f1, accuracy, precision, recall } = report.metrics;
    expect(f1!.toFixed(6)).toBe('0.878521');
    expect(percent(accuracy)).toBe('88.96');
    // River's confusion matrix (rows: truth, columns: prediction) as counts: of 588
    // predicted phishing 499 are, of 548 phishing 499 are found, 613 + 499 of 1250 right.
    expect([precision! * 588, recall! * 548, accuracy! * 1250].map(Math.round)).toEqual([
      499, 499, 1112,
    ]);
    expect([precision, recall]).toEqual([499 / 588, 499 / 548]);
  });

  it('default LogisticRegression (SGD 0.01): ROCAUC on 10 thresholds every 200 samples', async () => {
    const { report, reports } = await validate(
      { name: 'sgd', options: { lr: 0.01 }, interceptLr: 0.01 },
      ['rocauc-binned'],
      200,
    );
    expect([...reports, report].map((r) => percent(r.metrics['rocauc-binned']))).toEqual([
      '90.20',
      '92.25',
      '93.23',
      '94.05',
      '94.79',
      '95.07',
      '95.07',
    ]);
  });

  it.each([
    ['AdaGrad()', '88.01', { name: 'adagrad', options: { lr: 0.1, eps: 1e-8 } }],
    [
      'RMSProp()',
      '87.24',
      { name: 'rmsprop', options: { lr: 0.1, alpha: 0.9, eps: 1e-8, epsPlacement: 'inside-sqrt' } },
    ],
    ['AdaDelta()', '80.56', { name: 'adadelta', options: { lr: 1, rho: 0.95, eps: 1e-8 } }],
  ] as const)('%s: F1 %s%%', async (_, figure, optimizer) => {
    const { report } = await validate({ ...optimizer, interceptLr: 0.01 }, ['f1']);
    expect(percent(report.metrics['f1'])).toBe(figure);
  });
});
