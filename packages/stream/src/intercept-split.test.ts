import { Adam, SGD } from '@adamflow/core';
import { describe, expect, it } from 'vitest';
import { interceptSplit } from './intercept-split.js';

describe('interceptSplit', () => {
  it('steps the intercept by plain SGD and the weights by their own optimizer', () => {
    const params = new Float64Array([1, 2, 3]);
    const split = interceptSplit((w) => new Adam(w, { lr: 0.1 }), 0.01)(params);
    const alone = new Float64Array([2, 3]);
    const adam = new Adam(alone, { lr: 0.1 });
    const grads = [
      [0.5, -1, 2],
      [-0.25, 3, 0.5],
    ];
    let bias = 1;
    for (const g of grads) {
      expect(split.step(new Float64Array(g))).toBe(true);
      adam.step(g.slice(1));
      bias -= 0.01 * g[0]!;
    }
    expect(Array.from(params)).toEqual([bias, ...alone]);
    expect(split.stepCount).toBe(2);
  });

  it('state() restores both parts; a continued run is bitwise the same', () => {
    const make = (params: Float64Array) =>
      interceptSplit((w) => new Adam(w, { lr: 0.1 }), 0.01)(params);
    const a = new Float64Array([0, 0, 0]);
    const first = make(a);
    first.step(new Float64Array([1, 2, 3]));
    const b = new Float64Array(3);
    const second = make(b);
    second.loadState(JSON.parse(JSON.stringify(first.state())));
    first.step(new Float64Array([-1, 0.5, 2]));
    second.step(new Float64Array([-1, 0.5, 2]));
    expect(b).toEqual(a);
  });

  it('a non-finite gradient changes nothing (throw) or is skipped', () => {
    const params = new Float64Array([1, 2, 3]);
    const split = interceptSplit((w) => new SGD(w, { lr: 0.1 }), 0.01)(params);
    expect(() => split.step(new Float64Array([Number.NaN, 1, 1]))).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_NON_FINITE_GRADIENT' }),
    );
    expect(() => split.step(new Float64Array([1, Number.POSITIVE_INFINITY, 1]))).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_NON_FINITE_GRADIENT' }),
    );
    expect(Array.from(params)).toEqual([1, 2, 3]);
    const skipping = interceptSplit(
      (w) => new SGD(w, { lr: 0.1, nonFinite: 'skip' }),
      0.01,
    )(params);
    expect(skipping.step(new Float64Array([Number.NaN, 1, 1]))).toBe(false);
    expect(Array.from(params)).toEqual([1, 2, 3]);
  });

  it('refuses a bad interceptLr', () => {
    expect(() => interceptSplit((w) => new SGD(w), 0)).toThrow(
      /interceptLr must be a positive finite number, got 0/,
    );
  });
});
