import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromCsv } from '../data/from-csv.js';
import { createMetric } from '../metrics/create-metric.js';
import { logisticRegression } from '../model.js';
import { mlp } from '../models/mlp.js';
import { softmaxRegression } from '../models/softmax-regression.js';
import { pipeline } from '../pipeline.js';
import { standardScaler } from '../preprocessing/standard-scaler.js';
import { Random } from '../random.js';
import { createCheckpoint, restoreCheckpoint } from './checkpoint.js';
import { progressiveValidation } from './progressive-validation.js';

const dir = mkdtempSync(join(tmpdir(), 'adamflow-checkpoint-'));

function csv(rows: number): string {
  const random = new Random(11);
  const lines = ['a,b,c,label'];
  for (let i = 0; i < rows; i++) {
    const a = random.normal() * 2 + 3;
    const b = random.normal() * 10;
    const c = random.normal();
    lines.push(`${a},${b},${c},${a - 3 + b / 10 + c > 0.2 ? 'spam' : 'ham'}`);
  }
  return `${lines.join('\n')}\n`;
}

const build = (interceptLr?: number) =>
  pipeline({
    inputs: 3,
    stages: [standardScaler()],
    model: (features) => logisticRegression({ features }),
    optimizer: {
      name: 'adam',
      options: { lr: 0.01 },
      ...(interceptLr === undefined ? {} : { interceptLr }),
    },
  });
const metrics = () => [
  createMetric('accuracy'),
  createMetric('rocauc'),
  createMetric('logloss', 100),
];

describe('checkpoints', () => {
  it.each([undefined, 0.01])(
    'stop at a row, checkpoint to a file, resume from it: bitwise the uninterrupted run (interceptLr %s)',
    async (interceptLr) => {
      const data = join(dir, 'data.csv');
      writeFileSync(data, csv(3000));
      const options = { target: 'label', targetType: 'category' as const };

      const whole = build(interceptLr);
      const wholeReport = await progressiveValidation(fromCsv(data, options), whole, {
        metrics: metrics(),
      });

      const first = build(interceptLr);
      const firstMetrics = metrics();
      const stream = fromCsv(data, options);
      const partial = await progressiveValidation(stream, first, {
        metrics: firstMetrics,
        limit: 1234,
      });
      const file = join(dir, 'run.json');
      writeFileSync(
        file,
        JSON.stringify(
          createCheckpoint(first, {
            metrics: firstMetrics,
            samples: partial.samples,
            position: stream.position(),
            labels: stream.labels!.state(),
          }),
        ),
      );

      const restored = restoreCheckpoint(JSON.parse(readFileSync(file, 'utf8')));
      expect(restored.position).toMatchObject({ rows: 1234, line: 1235 });
      const { LabelEncoder } = await import('../data/label-encoder.js');
      const rest = fromCsv(data, {
        ...options,
        from: restored.position!,
        labels: LabelEncoder.fromState(restored.labels!),
      });
      const resumedReport = await progressiveValidation(rest, restored.pipeline, {
        metrics: restored.metrics,
        samples: restored.samples,
      });
      expect(Array.from(restored.pipeline.params)).toEqual(Array.from(whole.params));
      expect(resumedReport).toEqual(wholeReport);
      expect(restored.pipeline.state()).toEqual(whole.state());
    },
  );

  it('a restored checkpoint predicts without training', async () => {
    const model = build(0.01);
    await progressiveValidation(
      fromCsv(join(dir, 'data.csv'), { target: 'label', targetType: 'category' }),
      model,
      { metrics: metrics(), limit: 500 },
    );
    const { pipeline: predictor } = restoreCheckpoint(
      JSON.parse(JSON.stringify(createCheckpoint(model))),
    );
    expect(predictor.predictProba([3, 1, 0])).toBe(model.predictProba([3, 1, 0]));
  });

  it.each([
    ['mlp', (features: number) => mlp({ inputs: features, hidden: [4], seed: 3 })],
    ['softmax-regression', (features: number) => softmaxRegression({ features, classes: 3 })],
  ])('restores a %s from its spec (createModel) and predicts as before', (_, model) => {
    const trained = pipeline({
      inputs: 2,
      stages: [standardScaler()],
      model,
      optimizer: { name: 'adam', options: { lr: 0.05 } },
    });
    const random = new Random(5);
    const rows = Array.from({ length: 60 }, (_, i) => ({
      x: [random.normal(), random.normal()],
      y: i % 3 === 0 ? 1 : 0,
    }));
    for (const row of rows) trained.learn(row);
    const { pipeline: restored } = restoreCheckpoint(
      JSON.parse(JSON.stringify(createCheckpoint(trained))),
    );
    expect(restored.model.kind).toBe(trained.model.kind);
    expect(rows.map((row) => restored.predict(row.x))).toEqual(
      rows.map((row) => trained.predict(row.x)),
    );
    expect(Array.from(restored.params)).toEqual(Array.from(trained.params));
  });

  it('refuses what is not a checkpoint of this version, with a code', () => {
    expect(() => restoreCheckpoint({} as never)).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_CHECKPOINT_INVALID' }),
    );
    const checkpoint = createCheckpoint(build());
    expect(() => restoreCheckpoint({ ...checkpoint, version: 99 })).toThrow(
      /version 99 is not supported/,
    );
  });
});
