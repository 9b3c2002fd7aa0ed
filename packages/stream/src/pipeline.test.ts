import { Adam } from '@adamflow/core';
import { describe, expect, it } from 'vitest';
import { Learner } from './learner.js';
import { linearRegression, logisticRegression } from './model.js';
import { poissonRegression } from './models/poisson-regression.js';
import { pipeline } from './pipeline.js';
import { oneHot } from './preprocessing/one-hot.js';
import { standardScaler } from './preprocessing/standard-scaler.js';
import { Random } from './random.js';

function data(n: number, seed = 3) {
  const random = new Random(seed);
  return Array.from({ length: n }, () => {
    const x = [random.normal() * 3 + 1, random.normal() * 0.1 - 2, 4];
    return { x, y: x[0]! - 10 * x[1]! + random.normal() > 21 ? 1 : 0 };
  });
}

/**
 * River's StandardScaler | LogisticRegression(optimizer=SGD(lr), intercept_lr), written
 * out as a plain loop from River's definitions (for comparison, not shared code).
 */
function riverLoop(rows: { x: number[]; y: number }[], lr: number, interceptLr: number) {
  const d = rows[0]!.x.length;
  const mean = new Array<number>(d).fill(0);
  const variance = new Array<number>(d).fill(0);
  const w = new Array<number>(d).fill(0);
  let b = 0;
  let n = 0;
  const scale = (x: number[]) =>
    x.map((v, j) => (variance[j]! > 0 ? (v - mean[j]!) / Math.sqrt(variance[j]!) : 0));
  const proba = (z: number[]) => {
    let s = b;
    for (let j = 0; j < d; j++) s += w[j]! * z[j]!;
    return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
  };
  const predictions: number[] = [];
  for (const { x, y } of rows) {
    predictions.push(proba(scale(x)));
    n++;
    for (let j = 0; j < d; j++) {
      const old = mean[j]!;
      mean[j] = old + (x[j]! - old) / n;
      variance[j] = variance[j]! + ((x[j]! - old) * (x[j]! - mean[j]!) - variance[j]!) / n;
    }
    const z = scale(x);
    const g = proba(z) - y;
    for (let j = 0; j < d; j++) w[j] = w[j]! - lr * (g * z[j]!);
    b = b - interceptLr * g;
  }
  return { predictions, params: [b, ...w] };
}

describe('pipeline', () => {
  it("follows River's order: score, stages learn, model learns the re-transformed row", () => {
    const rows = data(400);
    const model = pipeline({
      inputs: 3,
      stages: [standardScaler()],
      model: (features) => logisticRegression({ features }),
      optimizer: { name: 'sgd', options: { lr: 0.1 }, interceptLr: 0.01 },
    });
    const predictions = rows.map((row) => model.learn(row));
    const river = riverLoop(rows, 0.1, 0.01);
    expect(predictions).toEqual(river.predictions);
    expect(Array.from(model.params)).toEqual(river.params);
  });

  it('learn returns the prediction before learning; predict/predictProba do not learn', () => {
    const model = pipeline({
      inputs: 3,
      stages: [standardScaler()],
      model: (features) => logisticRegression({ features }),
      optimizer: { name: 'adam', options: { lr: 0.05 } },
    });
    const rows = data(50);
    for (const row of rows) model.learn(row);
    const state = JSON.stringify(model.state());
    const row = rows[7]!;
    const p = model.predictProba(row.x) as number;
    expect(model.predict(row.x)).toBe(p > 0.5 ? 1 : 0);
    expect(JSON.stringify(model.state())).toBe(state);
    expect(model.learn(row)).toBe(p);
    expect(JSON.stringify(model.state())).not.toBe(state);
  });

  it('one-hot grows the feature vector to a declared width; state round-trips', () => {
    const model = pipeline({
      inputs: 2,
      stages: [oneHot({ columns: [1], maxCategories: 3 })],
      model: (features) => linearRegression({ features }),
      optimizer: { name: 'sgd', options: { lr: 0.05 } },
    });
    expect(model.model.features).toBe(4);
    const colors = ['red', 'green', 'blue'];
    for (let i = 0; i < 3000; i++) {
      const k = i % 3;
      model.learn({ x: [i % 5, colors[k]!], y: 2 * (i % 5) + 10 * k });
    }
    expect(model.predict([1, 'blue'])).toBeCloseTo(22, 0);
    const copy = pipeline({
      inputs: 2,
      stages: [oneHot({ columns: [1], maxCategories: 3 })],
      model: (features) => linearRegression({ features }),
      optimizer: { name: 'sgd', options: { lr: 0.05 } },
    });
    copy.loadState(JSON.parse(JSON.stringify(model.state())));
    expect(copy.predict([3, 'green'])).toBe(model.predict([3, 'green']));
  });

  it('a factory optimizer works too; the description then has no optimizer', () => {
    const model = pipeline({
      inputs: 3,
      model: logisticRegression({ features: 3 }),
      optimizer: (params) => new Adam(params, { lr: 0.01 }),
    });
    expect(model.describe()).toEqual({
      inputs: 3,
      stages: [],
      model: {
        kind: 'logistic-regression',
        features: 3,
        spec: { kind: 'logistic-regression', features: 3 },
      },
      optimizer: null,
    });
  });

  it('refuses a model of the wrong width and rows of the wrong length', () => {
    expect(() =>
      pipeline({
        inputs: 2,
        stages: [oneHot({ columns: [0], maxCategories: 4 })],
        model: linearRegression({ features: 2 }),
        optimizer: { name: 'adam' },
      }),
    ).toThrow(/the model takes 2 features but the stages output 5/);
    const model = pipeline({
      inputs: 2,
      model: linearRegression({ features: 2 }),
      optimizer: { name: 'adam' },
    });
    expect(() => model.learn({ x: [1], y: 0, index: 9 })).toThrow(
      /row 9 has 1 features, expected 2/,
    );
  });

  it('a row whose target is not a finite number is refused before any stage learns', () => {
    const model = pipeline({
      inputs: 3,
      stages: [standardScaler()],
      model: linearRegression({ features: 3 }),
      optimizer: { name: 'adam' },
    });
    for (const row of data(20)) model.learn(row);
    const before = JSON.stringify(model.state());
    for (const y of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => model.learn({ x: [1, 2, 3], y, index: 21 })).toThrow(/malformed/);
    }
    expect(JSON.stringify(model.state())).toBe(before);
  });
});

describe("Learner and the model's checkTarget", () => {
  it('a Poisson learner refuses a negative count and is left as it was', () => {
    const learner = new Learner({
      model: poissonRegression({ features: 2 }),
      optimizer: 'adam',
    });
    learner.learn({ x: [0.5, 1], y: 3 });
    const before = JSON.stringify(learner.state());
    expect(() => learner.learn({ x: [0.5, 1], y: -1 })).toThrow(/malformed/);
    expect(() =>
      learner.learnBatch({
        x: new Float64Array([0.5, 1, 1, 1]),
        y: new Float64Array([2, -4]),
        count: 2,
        features: 2,
        start: 0,
        kind: 'sample-batch',
      }),
    ).toThrow(/malformed/);
    expect(JSON.stringify(learner.state())).toBe(before);
  });
});
