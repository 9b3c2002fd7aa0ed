import { Adam, SGD } from '@adamflow/core';
import { describe, expect, it } from 'vitest';
import type { Sample } from './generators.js';
import { Learner } from './learner.js';
import type { LearnerOptions } from './learner-options.js';
import { linearRegression, logisticRegression } from './model.js';
import { mlp } from './models/mlp.js';
import { poissonRegression } from './models/poisson-regression.js';
import { softmaxRegression } from './models/softmax-regression.js';
import { partitioned } from './partitioned.js';
import { Random } from './random.js';

/** Three well separated blobs in the plane, labels 0, 1, 2. */
function blobs(count: number, seed: number): Sample[] {
  const random = new Random(seed);
  const centres = [
    [2, 0],
    [-1, 1.7],
    [-1, -1.7],
  ];
  return Array.from({ length: count }, (_, index) => {
    const y = index % 3;
    const [cx, cy] = centres[y]!;
    return { x: [cx! + 0.3 * random.normal(), cy! + 0.3 * random.normal()], y, index };
  });
}

function sineSamples(count: number, seed: number): Sample[] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => {
    const x = 6 * random.uniform() - 3;
    return { x: [x], y: Math.sin(x), index: 0 };
  });
}

describe('Learner.predict and predictProba', () => {
  it('a regression predicts its value', () => {
    const learner = new Learner({ model: linearRegression(), optimizer: 'adam', params: [4, 3] });
    expect(learner.predict([2])).toBe(10);
    expect(() => learner.predictProba([2])).toThrow(/is a regression/);
  });

  it('a binary classifier: P(y = 1), and the class is 1 only when P > 0.5', () => {
    const learner = new Learner({
      model: logisticRegression(),
      optimizer: 'adam',
      params: [0, 1],
    });
    expect(learner.predictProba([0])).toBe(0.5);
    expect(learner.predict([0])).toBe(0);
    expect(learner.predict([1e-9])).toBe(1);
    expect(learner.predict([-1e-9])).toBe(0);
    expect(learner.predictProba([1])).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
  });

  it('a softmax classifier: the class probabilities, and the most probable class', () => {
    const model = softmaxRegression({ features: 2, classes: 3 });
    // Class 2's logit is 2 x0; the others 0.
    const params = [0, 0, 0, 0, 0, 0, 0, 2, 0];
    const learner = new Learner({ model, optimizer: 'adam', params });
    const p = learner.predictProba([1, 5]) as Float64Array;
    expect(p).toBeInstanceOf(Float64Array);
    const e = Math.exp(2);
    const expected = [1 / (2 + e), 1 / (2 + e), e / (2 + e)];
    p.forEach((value, k) => {
      expect(value).toBeCloseTo(expected[k]!, 15);
    });
    expect(learner.predict([1, 5])).toBe(2);
    expect(learner.predict([-1, 5])).toBe(0); // ties between 0 and 1: the first
    const into = new Float64Array(3);
    expect(learner.predictProba([1, 5], into)).toBe(into);
  });

  it('predicting learns nothing and touches no state, even mid-minibatch', () => {
    const learner = new Learner({
      model: mlp({ inputs: 1, hidden: [4], seed: 3 }),
      optimizer: 'adam',
      batchSize: 4,
    });
    for (const sample of sineSamples(6, 1)) learner.learn(sample);
    const before = JSON.stringify(learner.state());
    const first = learner.predict([0.3]);
    for (let i = 0; i < 10; i++) learner.predict([i]);
    expect(learner.predict([0.3])).toBe(first);
    expect(JSON.stringify(learner.state())).toBe(before);
    // And the pending minibatch still completes as if nothing had happened.
    const twin = new Learner({
      model: mlp({ inputs: 1, hidden: [4], seed: 3 }),
      optimizer: 'adam',
      batchSize: 4,
    });
    for (const sample of sineSamples(8, 1)) twin.learn(sample);
    for (const sample of sineSamples(8, 1).slice(6)) learner.learn(sample);
    expect(Array.from(learner.params)).toEqual(Array.from(twin.params));
  });

  it('refuses malformed features with a code', () => {
    const learner = new Learner({ model: linearRegression({ features: 2 }), optimizer: 'adam' });
    for (const x of [[1], [1, Number.NaN], 'ab' as never]) {
      expect(() => learner.predict(x)).toThrow(
        expect.objectContaining({ code: 'ADAMFLOW_ERR_MALFORMED_SAMPLE' }),
      );
    }
  });
});

describe('Learner with K classes', () => {
  it('learns three blobs; the accuracy metric counts the most probable class', () => {
    const learner = new Learner({
      model: softmaxRegression({ features: 2, classes: 3 }),
      optimizer: (p) => new Adam(p, { lr: 0.05 }),
      window: 300,
    });
    for (const sample of blobs(3000, 1)) learner.learn(sample);
    const test = blobs(300, 2);
    const correct = test.filter((s) => learner.predict(s.x) === s.y).length;
    expect(correct / test.length).toBeGreaterThan(0.95);
    expect(learner.metrics.snapshot().accuracy).toBeGreaterThan(0.95);
  });

  it('a window of wrong predictions reads as accuracy 0', () => {
    // Class 0 always wins (bias 5); every label is 1.
    const learner = new Learner({
      model: softmaxRegression({ features: 1, classes: 2 }),
      optimizer: (p) => new SGD(p, { lr: 1e-9 }),
      params: [5, 0, 0, 0],
      window: 5,
    });
    for (let i = 0; i < 5; i++) learner.learn({ x: [0], y: 1, index: i });
    expect(learner.metrics.snapshot().accuracy).toBe(0);
    const loss = learner.metrics.snapshot().logLoss!;
    expect(loss).toBeCloseTo(Math.log(1 + Math.exp(5)), 6);
  });

  it('learnBatch equals learning the rows one by one; a row with a bad class is skipped', () => {
    const options = (): LearnerOptions => ({
      model: softmaxRegression({ features: 2, classes: 3 }),
      optimizer: (p) => new Adam(p, { lr: 0.05, nonFinite: 'skip' }),
      batchSize: 3,
    });
    const samples = blobs(12, 8);
    samples[5] = { ...samples[5]!, y: 7 };
    const rows = new Learner(options());
    for (const sample of samples) rows.learn(sample);
    const batched = new Learner(options());
    batched.learnBatch({
      kind: 'sample-batch',
      features: 2,
      count: samples.length,
      x: Float64Array.from(samples.flatMap((s) => s.x)),
      y: Float64Array.from(samples, (s) => s.y),
      start: 0,
    });
    expect(batched.skippedSamples).toBe(1);
    expect(JSON.stringify(batched.state())).toBe(JSON.stringify(rows.state()));
  });

  it('a target that is not a class index is malformed (thrown, or skipped and counted)', () => {
    const options: LearnerOptions = {
      model: softmaxRegression({ features: 1, classes: 3 }),
      optimizer: 'adam',
    };
    const strict = new Learner(options);
    for (const y of [3, -1, 0.5]) {
      expect(() => strict.learn({ x: [1], y, index: 0 })).toThrow(/class index 0 \.\. 2/);
    }
    const lenient = new Learner({
      ...options,
      optimizer: (p) => new Adam(p, { nonFinite: 'skip' }),
    });
    lenient.learn({ x: [1], y: 3, index: 0 });
    expect(lenient.skippedSamples).toBe(1);
    expect(lenient.steps).toBe(0);
  });
});

describe('Learner with an MLP', () => {
  it("starts from the model's seeded initialisation and fits a sine", () => {
    const model = mlp({ inputs: 1, hidden: [16], activation: 'tanh', seed: 9 });
    const expected = new Float64Array(model.size);
    model.initialize!(expected);
    const learner = new Learner({ model, optimizer: (p) => new Adam(p, { lr: 0.01 }) });
    expect(Array.from(learner.params)).toEqual(Array.from(expected));
    const samples = sineSamples(20_000, 2);
    for (const sample of samples) learner.learn(sample);
    const test = sineSamples(200, 3);
    const mse = test.reduce((sum, s) => sum + (learner.predict(s.x) - s.y) ** 2, 0) / test.length;
    expect(mse).toBeLessThan(0.01);
  });

  it('reset() returns to the seeded initialisation', () => {
    const learner = new Learner({
      model: mlp({ inputs: 1, hidden: [3], seed: 1 }),
      optimizer: 'adam',
    });
    const initial = Array.from(learner.params);
    for (const sample of sineSamples(10, 1)) learner.learn(sample);
    expect(Array.from(learner.params)).not.toEqual(initial);
    learner.reset();
    expect(Array.from(learner.params)).toEqual(initial);
  });
});

describe('Learner state: resume bitwise', () => {
  const cases: [string, () => LearnerOptions, Sample[]][] = [
    [
      'River-style GLM (partitioned optimizer), minibatch 3',
      () => ({
        model: poissonRegression({ features: 2 }),
        optimizer: partitioned({
          intercept: { range: [0, 1], optimizer: 'sgd', lr: 0.01 },
          weights: { range: [1], optimizer: 'adam', lr: 0.01 },
        }),
        batchSize: 3,
      }),
      blobs(200, 4),
    ],
    [
      'MLP 2 hidden layers, relu, softmax',
      () => ({
        model: mlp({
          inputs: 2,
          hidden: [8, 8],
          outputs: 3,
          activation: 'relu',
          task: 'classification',
          seed: 5,
        }),
        optimizer: 'adam',
      }),
      blobs(200, 5),
    ],
  ];
  it.each(cases)('%s', (_name, options, samples) => {
    const straight = new Learner(options());
    for (const sample of samples) straight.learn(sample);
    const first = new Learner(options());
    for (const sample of samples.slice(0, 101)) first.learn(sample);
    const resumed = new Learner(options());
    resumed.loadState(JSON.parse(JSON.stringify(first.state())));
    for (const sample of samples.slice(101)) resumed.learn(sample);
    expect(Array.from(resumed.params)).toEqual(Array.from(straight.params));
    expect(JSON.stringify(resumed.state())).toBe(JSON.stringify(straight.state()));
  });
});

describe('Learner.loadState refusals', () => {
  it('a state it refuses changes nothing', () => {
    const make = (optimizer: LearnerOptions['optimizer'], batchSize = 1) =>
      new Learner({ model: linearRegression({ features: 2 }), optimizer, batchSize });
    const glm = partitioned({
      intercept: { range: [0, 1], optimizer: 'sgd', lr: 0.01 },
      weights: { range: [1], optimizer: 'adam', lr: 0.01 },
    });
    const learner = make(glm, 2);
    const samples = blobs(7, 6);
    for (const sample of samples) learner.learn(sample);
    const before = JSON.stringify(learner.state());
    const other = make('adam', 2);
    other.learn(samples[0]!);
    const wrongSize = new Learner({ model: linearRegression({ features: 3 }), optimizer: glm });
    const refused = [
      other.state(), // another optimizer kind
      wrongSize.state(), // another parameter count
      { ...JSON.parse(before), pending: 2 }, // a pending count this batchSize cannot hold
    ];
    for (const state of refused) expect(() => learner.loadState(state)).toThrow();
    expect(JSON.stringify(learner.state())).toBe(before);
  });
});

describe('Learner options', () => {
  it('refuses a model that breaks the contract', () => {
    const model = { ...linearRegression(), bufferSize: 0 };
    expect(() => new Learner({ model, optimizer: 'adam' })).toThrow(/bufferSize must be/);
    const noLoss = { ...linearRegression(), loss: undefined } as never;
    expect(() => new Learner({ model: noLoss, optimizer: 'adam' })).toThrow(/must be a Model/);
  });
});

describe('Learner error texts', () => {
  it('a malformed sample prints NaN and Infinity as themselves, and no index when it has none', () => {
    const learner = new Learner({ model: linearRegression({ features: 2 }), optimizer: 'sgd' });
    expect(() => learner.learn({ x: [1, Number.NaN], y: Number.POSITIVE_INFINITY })).toThrow(
      'sample is malformed: expected { x: 2 finite numbers, y: a finite number }, got {"x":[1,NaN],"y":Infinity}',
    );
    expect(() =>
      learner.learn({ x: new Float64Array([Number.NaN, 1]) as never, y: 1, index: 4 }),
    ).toThrow(
      'sample 4 is malformed: expected { x: 2 finite numbers, y: a finite number }, got {"x":[NaN,1],"y":1,"index":4}',
    );
  });
});
