import { describe, expect, it } from 'vitest';
import { Learner } from './learner.js';
import { linearRegression } from './model.js';

describe('Learner errors', () => {
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
