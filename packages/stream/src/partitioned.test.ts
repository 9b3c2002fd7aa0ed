import { Adam, AdamflowError, RMSProp, SGD, wasmSimdAvailable } from '@adamflow/core';
import { describe, expect, it } from 'vitest';
import { Learner } from './learner.js';
import { linearRegression } from './model.js';
import { partitioned } from './partitioned.js';
import { Random } from './random.js';

function gradients(count: number, length: number, seed: number): Float64Array[] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => Float64Array.from({ length }, () => random.normal()));
}

const snapshot = (opt: { state(): unknown }) => JSON.stringify(opt.state());

describe('partitioned: River-style GLM', () => {
  it('steps the intercept by plain SGD at intercept_lr and the weights by SGD, as computed by hand', () => {
    const interceptLr = 0.01;
    const lr = 0.1;
    const learner = new Learner({
      model: linearRegression({ features: 2 }),
      optimizer: partitioned({
        intercept: { range: [0, 1], optimizer: 'sgd', lr: interceptLr },
        weights: { range: [1], optimizer: 'sgd', lr },
      }),
    });
    // River's GLM.learn_one: g = dloss/dprediction = 2 (yhat - y) for the squared loss;
    // intercept -= intercept_lr * g; weights -= lr * g * x.
    let b = 0;
    const w = [0, 0];
    const samples = [
      { x: [1, 2], y: 3 },
      { x: [-0.5, 1.5], y: 1 },
      { x: [2, -1], y: -2 },
      { x: [0.25, 0.75], y: 0.5 },
    ];
    for (const { x, y } of samples) {
      const g = 2 * (b + w[0]! * x[0]! + w[1]! * x[1]! - y);
      b -= interceptLr * g;
      w[0]! -= lr * g * x[0]!;
      w[1]! -= lr * g * x[1]!;
      learner.learn({ x, y, index: 0 });
    }
    expect(Array.from(learner.params)).toEqual([b, w[0], w[1]]);
  });

  it('steps the weights by Adam beside an SGD intercept, as computed by hand (first step)', () => {
    const learner = new Learner({
      model: linearRegression({ features: 2 }),
      optimizer: partitioned({
        intercept: { range: [0, 1], optimizer: 'sgd', lr: 0.01 },
        weights: { range: [1, 3], optimizer: 'adam', lr: 0.1 },
      }),
      params: [0.5, -1, 2],
    });
    const x = [1.5, -0.5];
    const y = 2;
    const g = 2 * (0.5 - 1 * 1.5 + 2 * -0.5 - y);
    // Adam's first step, bias-corrected: m̂ = g, v̂ = g², so w -= lr · g / (|g| + eps).
    const adamStep = (gw: number) => (0.1 * gw) / (Math.sqrt(gw * gw) + 1e-8);
    learner.learn({ x, y, index: 0 });
    expect(learner.params[0]).toBe(0.5 - 0.01 * g);
    expect(learner.params[1]).toBeCloseTo(-1 - adamStep(g * x[0]!), 15);
    expect(learner.params[2]).toBeCloseTo(2 - adamStep(g * x[1]!), 15);
  });
});

describe('partitioned: each group is its own optimizer', () => {
  it('equals separate optimizers on copies of the ranges, bitwise', () => {
    const params = Float64Array.from({ length: 7 }, (_, i) => i / 7 - 0.5);
    const a = params.slice(0, 3);
    const b = params.slice(3);
    const whole = partitioned({
      first: { range: [0, 3], optimizer: 'adam', lr: 0.05, beta2: 0.99 },
      second: { range: [3, 7], optimizer: 'rmsprop', lr: 0.01, momentum: 0.5 },
    })(params);
    const adam = new Adam(a, { lr: 0.05, beta2: 0.99 });
    const rmsprop = new RMSProp(b, { lr: 0.01, momentum: 0.5 });
    for (const grad of gradients(20, 7, 1)) {
      whole.step(grad);
      adam.step(grad.subarray(0, 3));
      rmsprop.step(grad.subarray(3));
    }
    expect(Array.from(params)).toEqual([...a, ...b]);
    expect(whole.stepCount).toBe(20);
    expect(whole.lr).toBe(0.01); // the largest group's
  });

  it.runIf(wasmSimdAvailable())(
    "a group on Adam's WebAssembly backend updates its subarray view in place",
    () => {
      const params = Float64Array.from({ length: 70 }, (_, i) => Math.sin(i));
      const copy = params.slice(5, 70);
      const whole = partitioned({
        head: { range: [0, 5], optimizer: 'sgd', lr: 0.1 },
        tail: {
          range: [5],
          optimizer: (view) => new Adam(view, { lr: 0.01 }, { backend: 'wasm' }),
        },
      })(params);
      expect(whole.group('tail').backend).toBe('wasm');
      const reference = new Adam(copy, { lr: 0.01 }, { backend: 'js' });
      for (const grad of gradients(10, 70, 2)) {
        whole.step(grad);
        reference.step(grad.subarray(5));
      }
      const gaps = Array.from(copy, (value, i) => Math.abs(value - params[5 + i]!));
      expect(Math.max(...gaps)).toBeLessThan(1e-15);
      expect(params[0]).not.toBe(Math.sin(0) + 0); // the head moved too
    },
  );
});

describe('partitioned: state', () => {
  const make = (params: Float64Array) =>
    partitioned({
      intercept: { range: [0, 1], optimizer: 'sgd', lr: 0.01 },
      weights: { range: [1], optimizer: 'adam', lr: 0.05, amsgrad: true },
    })(params);

  it('round-trips through JSON and continues bitwise', () => {
    const grads = gradients(40, 4, 3);
    const a = make(new Float64Array(4));
    for (const grad of grads.slice(0, 20)) a.step(grad);
    const b = make(new Float64Array(4));
    b.loadState(JSON.parse(JSON.stringify(a.state())));
    for (const grad of grads.slice(20)) {
      a.step(grad);
      b.step(grad);
    }
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
    expect(snapshot(b)).toBe(snapshot(a));
  });

  it('a rejected load changes nothing, whichever group refuses it', () => {
    const a = make(new Float64Array(4));
    for (const grad of gradients(5, 4, 4)) a.step(grad);
    const other = make(new Float64Array(4));
    other.step([1, 1, 1, 1]);
    const good = other.state();
    const before = snapshot(a);
    const broken = structuredClone(good);
    broken.groups[1]!.optimizer.buffers['v'] = 'AAAA';
    for (const bad of [
      broken,
      { ...good, version: 99 },
      { ...good, groups: good.groups.slice(0, 1) },
      { ...good, stepCount: -1 },
      null,
    ]) {
      expect(() => a.loadState(bad)).toThrow(AdamflowError);
    }
    expect(snapshot(a)).toBe(before);
  });

  it('a non-finite gradient throws and changes nothing; skip counts it', () => {
    const a = make(new Float64Array(4));
    a.step([1, 2, 3, 4]);
    const before = snapshot(a);
    expect(() => a.step([1, 2, Number.NaN, 4])).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_NON_FINITE_GRADIENT' }),
    );
    expect(snapshot(a)).toBe(before);
    const skipping = partitioned(
      { all: { range: [0], optimizer: 'sgd', lr: 0.1 } },
      { nonFinite: 'skip' },
    )(new Float64Array(2));
    expect(skipping.step([Number.POSITIVE_INFINITY, 0])).toBe(false);
    expect(skipping.skippedSteps).toBe(1);
    expect(Array.from(skipping.params)).toEqual([0, 0]);
  });

  it('set() changes every group, or none', () => {
    const a = make(new Float64Array(4));
    a.set({ lr: 0.5 });
    expect(a.group('intercept').lr).toBe(0.5);
    expect(a.group('weights').lr).toBe(0.5);
    expect(() => a.set({ beta1: 0.5 })).toThrow(TypeError); // SGD has no beta1
    expect((a.group('weights').options as { beta1?: number }).beta1).toBe(0.9);
  });

  it('reset() forgets moments and counters, keeping params', () => {
    const a = make(new Float64Array(4));
    a.step([1, 1, 1, 1]);
    const params = Array.from(a.params);
    a.reset();
    expect(a.stepCount).toBe(0);
    expect(a.group('weights').stepCount).toBe(0);
    expect(Array.from(a.params)).toEqual(params);
  });
});

describe('partitioned: validation', () => {
  const sgd = { optimizer: 'sgd' as const, lr: 0.1 };
  it('refuses groups that do not partition the vector', () => {
    const build = (groups: Parameters<typeof partitioned>[0]) => () =>
      partitioned(groups)(new Float64Array(4));
    expect(build({ a: { range: [0, 1], ...sgd }, b: { range: [2], ...sgd } })).toThrow(
      /without gaps or overlaps/,
    );
    expect(build({ a: { range: [0, 3], ...sgd }, b: { range: [2], ...sgd } })).toThrow(
      /without gaps or overlaps/,
    );
    expect(build({ a: { range: [0, 3], ...sgd } })).toThrow(/add a group for \[3, 4\)/);
    expect(build({ a: { range: [0, 5], ...sgd } })).toThrow(RangeError);
  });

  it('refuses malformed groups at the call', () => {
    expect(() => partitioned({})).toThrow(TypeError);
    expect(() => partitioned({ a: { range: [2, 1], ...sgd } })).toThrow(/0 <= start < end/);
    expect(() => partitioned({ a: { range: [0], optimizer: 'lion' as never } })).toThrow(
      /optimizer must be one of/,
    );
    expect(() => partitioned({ a: { range: [0], ...sgd, nonFinite: 'skip' } as never })).toThrow(
      /nonFinite applies to the whole vector/,
    );
    expect(() => partitioned({ a: { range: [0], optimizer: (p) => new SGD(p), lr: 1 } })).toThrow(
      /a factory takes its own options/,
    );
    expect(() => partitioned({ a: { range: [0], ...sgd } }, { nonFinite: 'x' as never })).toThrow(
      /nonFinite must be/,
    );
  });
});
