import { describe, expect, it } from 'vitest';
import type { Model } from '../model.js';
import { Random } from '../random.js';
import { linearRegression } from './linear-regression.js';
import { logisticRegression } from './logistic-regression.js';
import { mlp } from './mlp.js';
import { poissonRegression } from './poisson-regression.js';
import { softmaxRegression } from './softmax-regression.js';

/** Every model of the package; each gets every check below. */
const MODELS_UNDER_TEST: [string, () => Model][] = [
  ['linear regression', () => linearRegression({ features: 3 })],
  ['logistic regression', () => logisticRegression({ features: 3 })],
  ['softmax regression, 4 classes', () => softmaxRegression({ features: 3, classes: 4 })],
  ['softmax regression, 2 classes', () => softmaxRegression({ features: 2, classes: 2 })],
  ['poisson regression', () => poissonRegression({ features: 3 })],
  ['mlp 1-32-1 tanh regression', () => mlp({ inputs: 1, hidden: [32], activation: 'tanh' })],
  [
    'mlp 3-5-4-1 tanh regression',
    () => mlp({ inputs: 3, hidden: [5, 4], activation: 'tanh', task: 'regression' }),
  ],
  [
    'mlp 3-5-4-1 relu regression',
    () => mlp({ inputs: 3, hidden: [5, 4], activation: 'relu', task: 'regression' }),
  ],
  [
    'mlp 3-5-4-1 tanh binary classification',
    () => mlp({ inputs: 3, hidden: [5, 4], activation: 'tanh', task: 'classification' }),
  ],
  [
    'mlp 3-6-5-3 relu softmax classification',
    () =>
      mlp({ inputs: 3, hidden: [6, 5], outputs: 3, activation: 'relu', task: 'classification' }),
  ],
  [
    'mlp 2-4-3-4 tanh softmax classification',
    () =>
      mlp({ inputs: 2, hidden: [4, 3], outputs: 4, activation: 'tanh', task: 'classification' }),
  ],
  ['mlp without hidden layers', () => mlp({ inputs: 2, hidden: [], task: 'regression' })],
];

interface Point {
  params: Float64Array;
  x: Float64Array;
  y: number;
}

/** A random point: params and features ~ N(0, 1), a target fitting the task. */
function randomPoint(model: Model, random: Random): Point {
  const params = Float64Array.from({ length: model.size }, () => random.normal());
  const x = Float64Array.from({ length: model.features }, () => random.normal());
  let y: number;
  if (model.task === 'regression') {
    // Poisson targets are counts.
    y = model.kind === 'poisson-regression' ? Math.floor(4 * random.uniform()) : random.normal();
  } else {
    y = Math.floor(random.uniform() * Math.max(2, model.outputs));
  }
  return { params, x, y };
}

function lossAt(model: Model, params: Float64Array, x: Float64Array, y: number): number {
  const out = new Float64Array(model.bufferSize);
  return model.loss(model.predict(params, x, 0, out), y, out);
}

/** Central finite differences in float64, one parameter at a time. */
function numericGradient(model: Model, { params, x, y }: Point): Float64Array {
  const h = 1e-6;
  return params.map((value, i) => {
    const shifted = params.slice();
    shifted[i] = value + h;
    const plus = lossAt(model, shifted, x, y);
    shifted[i] = value - h;
    const minus = lossAt(model, shifted, x, y);
    return (plus - minus) / (2 * h);
  });
}

describe.each(MODELS_UNDER_TEST)('%s', (_name, make) => {
  it('gradient equals central finite differences at random points', () => {
    const model = make();
    const random = new Random(7);
    const errors: number[] = [];
    for (let point = 0; point < 8; point++) {
      const sample = randomPoint(model, random);
      const out = new Float64Array(model.bufferSize);
      const grad = new Float64Array(model.size);
      const prediction = model.predict(sample.params, sample.x, 0, out);
      model.accumulateGradient(sample.params, sample.x, 0, sample.y, prediction, grad, 1, out);
      const expected = numericGradient(model, sample);
      grad.forEach((g, i) => {
        errors.push(Math.abs(g - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
      });
    }
    expect(Math.max(...errors)).toBeLessThan(1e-6);
  });

  it('adds weight times the gradient to what is in grad', () => {
    const model = make();
    const { params, x, y } = randomPoint(model, new Random(3));
    const out = new Float64Array(model.bufferSize);
    const plain = new Float64Array(model.size);
    const weighted = new Float64Array(model.size).fill(1);
    const prediction = model.predict(params, x, 0, out);
    model.accumulateGradient(params, x, 0, y, prediction, plain, 1, out);
    model.accumulateGradient(params, x, 0, y, prediction, weighted, 0.25, out);
    const gaps = plain.map((g, i) => Math.abs(weighted[i]! - 1 - g / 4));
    expect(Math.max(...gaps)).toBeLessThan(1e-12);
  });

  it('reads a row in place at an offset, and its own buffer when none is passed', () => {
    const model = make();
    const { params, x, y } = randomPoint(model, new Random(5));
    const rows = new Float64Array([9, 9, ...x, 9]);
    const out = new Float64Array(model.bufferSize);
    const prediction = model.predict(params, rows, 2, out);
    expect(model.predict(params, x)).toBe(prediction);
    expect(model.loss(model.predict(params, x), y)).toBe(model.loss(prediction, y, out));
  });

  it('describes itself consistently', () => {
    const model = make();
    expect(model.kind).toMatch(/^[a-z-]+$/);
    expect(model.bufferSize).toBeGreaterThanOrEqual(model.outputs);
    expect(Number.isInteger(model.size) && model.size > 0).toBe(true);
  });
});
