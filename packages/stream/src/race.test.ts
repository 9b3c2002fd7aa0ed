import { createOptimizer, type OptimizerName, optimizers } from '@adamflow/core';
import { describe, expect, it } from 'vitest';
import { createGenerator, linearSpec, multilinearSpec, type Sample } from './generators.js';
import { Learner } from './learner.js';
import { linearRegression } from './model.js';
import { type ContestantSpec, MAX_CONTESTANTS, Race } from './race.js';

const FIELD: ContestantSpec[] = [
  { optimizer: 'adam' },
  { optimizer: 'adamw', options: { lr: 0.05 } },
  { optimizer: 'amsgrad' },
  { optimizer: 'rmsprop' },
  { name: 'momentum', optimizer: 'sgd', options: { lr: 0.01, momentum: 0.9 } },
  { optimizer: 'nadam' },
];

function samples(count: number, seed = 7): Sample[] {
  const source = createGenerator(linearSpec({ seed }));
  return Array.from({ length: count }, () => {
    const sample = source.next();
    return { x: Array.from(sample.x), y: sample.y };
  });
}

/** The same optimizer trained alone, built as a user would without a race. */
function alone(optimizer: OptimizerName, options: Record<string, number | boolean> = {}): Learner {
  return new Learner({
    model: linearRegression(),
    optimizer: (params) =>
      createOptimizer(optimizer, params, { ...optimizers[optimizer].demoOptions, ...options }),
  });
}

describe('Race', () => {
  it('gives each contestant the params of training its optimizer alone, bitwise', () => {
    const data = samples(3000);
    const race = new Race({ model: linearRegression(), contestants: FIELD });
    for (const sample of data) race.learn(sample);
    const expected = FIELD.map((spec) => {
      const learner = alone(spec.optimizer, spec.options);
      for (const sample of data) learner.learn(sample);
      return { params: Array.from(learner.params), loss: learner.metrics.live.lossEma };
    });
    const got = race.contestants.map((c) => ({
      params: Array.from(c.learner.params),
      loss: c.learner.metrics.live.lossEma,
    }));
    expect(got).toEqual(expected);
    expect(race.contestants.map((c) => c.learner.steps)).toEqual(FIELD.map(() => 3000));
    expect(race.samples).toBe(3000);
  });

  it('scores each sample with the params from before it (prequential)', () => {
    const model = linearRegression();
    const race = new Race({ model, contestants: FIELD });
    const recorded: number[] = [];
    const expected: number[] = [];
    const buffer = new Float64Array(model.bufferSize);
    for (const sample of samples(200)) {
      for (const c of race.contestants) {
        const before = c.learner.params.slice();
        expected.push(model.loss(model.predict(before, sample.x, 0, buffer), sample.y, buffer));
      }
      race.learn(sample);
      for (const c of race.contestants) recorded.push(c.learner.lastLoss);
    }
    expect(recorded).toEqual(expected);
  });

  it('ranks by rolling loss, lowest first, a contestant without samples last', () => {
    const race = new Race({
      model: linearRegression(),
      contestants: [
        { name: 'slow', optimizer: 'sgd', options: { lr: 1e-5, momentum: 0 } },
        { name: 'fast', optimizer: 'adam', options: { lr: 0.1 } },
        { name: 'mid', optimizer: 'sgd', options: { lr: 1e-3, momentum: 0 } },
      ],
    });
    for (const sample of samples(2000)) race.learn(sample);
    race.add({ name: 'late', optimizer: 'rmsprop' });
    const board = race.leaderboard();
    const losses = race.contestants.map((c) => c.learner.metrics.live.lossEma);
    const order = race.contestants
      .map((c, i) => ({ name: c.name, loss: Number.isNaN(losses[i]!) ? Infinity : losses[i]! }))
      .sort((a, b) => a.loss - b.loss)
      .map((row) => row.name);
    expect(board.map((row) => row.name)).toEqual(order);
    expect(board.map((row) => row.rank)).toEqual([1, 2, 3, 4]);
    // Sanity of the reference ordering itself: a stalled SGD trails, the newcomer is last.
    expect(order.indexOf('slow')).toBe(2);
    expect(order[3]).toBe('late');
  });

  it('adds, removes and re-tunes between samples, the others unaffected', () => {
    const data = samples(1500);
    const race = new Race({
      model: linearRegression(),
      contestants: [{ optimizer: 'adam' }, { optimizer: 'rmsprop' }],
    });
    for (const sample of data.slice(0, 500)) race.learn(sample);
    race.add({ name: 'heavy-ball', optimizer: 'sgd', options: { lr: 0.005, momentum: 0.9 } });
    race.remove('rmsprop');
    race.retune('adam', { lr: 0.02 });
    for (const sample of data.slice(500)) race.learn(sample);

    const adam = alone('adam');
    for (const sample of data.slice(0, 500)) adam.learn(sample);
    adam.optimizer.set({ lr: 0.02 });
    for (const sample of data.slice(500)) adam.learn(sample);
    const heavy = alone('sgd', { lr: 0.005, momentum: 0.9 });
    for (const sample of data.slice(500)) heavy.learn(sample);

    expect(race.contestants.map((c) => c.name)).toEqual(['adam', 'heavy-ball']);
    expect(race.contestants.map((c) => Array.from(c.learner.params))).toEqual([
      Array.from(adam.params),
      Array.from(heavy.params),
    ]);
    expect(race.get('adam')?.options).toEqual({ lr: 0.02 });
    expect(race.get('heavy-ball')?.learner.steps).toBe(1000);
  });

  it('continues bitwise after a state round trip through JSON', () => {
    const data = samples(2000);
    const first = new Race({ model: linearRegression(), contestants: FIELD });
    for (const sample of data.slice(0, 700)) first.learn(sample);
    first.retune('adam', { lr: 0.1 });
    const saved = JSON.parse(JSON.stringify(first.state()));
    const resumed = new Race({ model: linearRegression(), contestants: [{ optimizer: 'sgd' }] });
    resumed.loadState(saved);
    const reference = new Race({ model: linearRegression(), contestants: FIELD });
    for (const sample of data.slice(0, 700)) reference.learn(sample);
    reference.retune('adam', { lr: 0.1 });
    for (const sample of data.slice(700)) {
      resumed.learn(sample);
      reference.learn(sample);
    }
    expect(resumed.state()).toEqual(reference.state());
    expect(resumed.contestants.map((c) => c.name)).toEqual(FIELD.map((s) => s.name ?? s.optimizer));
  });

  it('refuses a bad state and leaves the race as it was', () => {
    const race = new Race({ model: linearRegression(), contestants: FIELD });
    for (const sample of samples(10)) race.learn(sample);
    const before = JSON.stringify(race.state());
    const bad = race.state();
    bad.contestants[2]!.learner.params = [1, 2, 3];
    expect(() => race.loadState(bad)).toThrow(/contestant "amsgrad".*parameter count/);
    expect(JSON.stringify(race.state())).toBe(before);
  });

  it('refuses bad contestants with errors naming the contestant and the option', () => {
    const model = linearRegression();
    const race = (contestants: ContestantSpec[]) => new Race({ model, contestants });
    expect(() => race([{ optimizer: 'adamm' as OptimizerName }])).toThrow(TypeError);
    expect(() => race([{ optimizer: 'adamm' as OptimizerName }])).toThrow(/"adamm".*adam, adamw/);
    expect(() => race([{ name: 'fast', optimizer: 'sgd', options: { lr: -1 } }])).toThrow(
      /contestant "fast".*lr/,
    );
    expect(() => race([{ name: 'fast', optimizer: 'sgd', options: { lr: -1 } }])).toThrow(
      RangeError,
    );
    expect(() => race([{ optimizer: 'adam', options: { momentum: 0.9 } }])).toThrow(
      /contestant "adam".*unknown option 'momentum'/,
    );
    expect(() => race([{ optimizer: 'adam' }, { optimizer: 'adam' }])).toThrow(RangeError);
    expect(() => race([])).toThrow(TypeError);
    const full = Array.from({ length: MAX_CONTESTANTS + 1 }, (_, i) => ({
      name: `c${i}`,
      optimizer: 'adam' as const,
    }));
    expect(() => race(full)).toThrow(RangeError);
    const ok = race(full.slice(0, MAX_CONTESTANTS));
    expect(() => ok.add({ name: 'extra', optimizer: 'sgd' })).toThrow(/at most 8/);
    expect(() => ok.retune('c1', { lr: 0 })).toThrow(/contestant "c1".*lr/);
    expect(ok.get('c1')?.learner.optimizer.lr).toBe(optimizers.adam.demoOptions.lr);
    expect(() => ok.retune('nobody', { lr: 0.1 })).toThrow(RangeError);
    expect(() => race([{ optimizer: 'adam' }]).remove('adam')).toThrow(/last contestant/);
  });

  it('works for a multi-feature model', () => {
    const source = createGenerator(multilinearSpec({ seed: 3 }));
    const features = source.features;
    const race = new Race({
      model: linearRegression({ features }),
      contestants: [{ optimizer: 'adam' }, { optimizer: 'radam' }],
    });
    for (let i = 0; i < 100; i++) race.learn(source.next());
    expect(race.contestants.map((c) => c.learner.params.length)).toEqual([
      features + 1,
      features + 1,
    ]);
  });
});

describe('Race errors', () => {
  it("names the contestant whose optimizer failed in the error's contestant property", () => {
    const race = new Race({
      model: linearRegression(),
      contestants: [{ optimizer: 'adam' }, { name: 'wild', optimizer: 'sgd', options: { lr: 50 } }],
    });
    let caught: unknown;
    try {
      for (const sample of samples(500)) race.learn(sample);
    } catch (error) {
      caught = error;
    }
    expect((caught as { contestant?: string }).contestant).toBe('wild');
    expect((caught as { code?: string }).code).toBe('ADAMFLOW_ERR_NON_FINITE_GRADIENT');
  });
});
