import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { mlp } from './mlp.js';

describe('mlp', () => {
  it('lays out each layer as biases then weights row by row', () => {
    const model = mlp({ inputs: 2, hidden: [3], task: 'regression' });
    expect(model.size).toBe(3 * (2 + 1) + 1 * (3 + 1));
    // Hidden unit i: bias i, weights [3 + 2i, 4 + 2i]; output: bias 9, weights 10..12.
    const params = new Float64Array(model.size);
    params[0] = 0.1;
    params[3] = 0.5; // unit 0, weight of x0
    params[4] = -0.25; // unit 0, weight of x1
    params[9] = 2;
    params[10] = 3;
    const x = [0.4, 0.8];
    expect(model.predict(params, x)).toBe(2 + 3 * Math.tanh(0.1 + 0.5 * 0.4 + -0.25 * 0.8));
  });

  it('initialises from its seed: Glorot uniform into tanh, He uniform into ReLU, biases 0', () => {
    const check = (activation: 'tanh' | 'relu', seed: number) => {
      const model = mlp({ inputs: 4, hidden: [6], activation, seed });
      const params = new Float64Array(model.size);
      model.initialize!(params);
      const random = new Random(seed);
      const hiddenLimit = Math.sqrt(activation === 'relu' ? 6 / 4 : 6 / (4 + 6));
      const outputLimit = Math.sqrt(6 / (6 + 1));
      const expected = [
        ...new Array(6).fill(0),
        ...Array.from({ length: 24 }, () => (2 * random.uniform() - 1) * hiddenLimit),
        0,
        ...Array.from({ length: 6 }, () => (2 * random.uniform() - 1) * outputLimit),
      ];
      expect(Array.from(params)).toEqual(expected);
      return params;
    };
    const a = check('tanh', 1);
    check('relu', 1);
    const b = check('tanh', 2);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('one output classifies with a sigmoid; K outputs with a softmax that sums to 1', () => {
    const binary = mlp({ inputs: 1, hidden: [2], task: 'classification', seed: 1 });
    const params = new Float64Array(binary.size);
    binary.initialize!(params);
    const p = binary.predict(params, [0.7]);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    const multi = mlp({ inputs: 1, hidden: [2], outputs: 4, task: 'classification', seed: 1 });
    const out = new Float64Array(multi.bufferSize);
    const mp = new Float64Array(multi.size);
    multi.initialize!(mp);
    const best = multi.predict(mp, [0.7], 0, out);
    const probabilities = Array.from(out.subarray(0, 4));
    expect(probabilities.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 15);
    expect(probabilities[best]).toBe(Math.max(...probabilities));
  });

  it('the binary log loss stays finite for huge logits', () => {
    const model = mlp({ inputs: 1, hidden: [], task: 'classification' });
    const out = new Float64Array(model.bufferSize);
    const p = model.predict([-800, 0], [0], 0, out);
    expect(model.loss(p, 1, out)).toBe(800);
    expect(model.loss(p, 0, out)).toBe(0);
  });

  it('refuses bad options with a message that says what to pass', () => {
    expect(() => mlp({ inputs: 0, hidden: [3] })).toThrow(/inputs must be a positive integer/);
    expect(() => mlp({ inputs: 1, hidden: [3, 0] })).toThrow(/hidden\[1\] must be/);
    expect(() => mlp({ inputs: 1, hidden: 3 as never })).toThrow(/array of layer widths/);
    expect(() => mlp({ inputs: 1, hidden: [3], activation: 'sigmoid' as never })).toThrow(
      /'tanh' or 'relu'/,
    );
    expect(() => mlp({ inputs: 1, hidden: [3], outputs: 2 })).toThrow(/regression has one output/);
    expect(() => mlp({ inputs: 1, hidden: [3], seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});
