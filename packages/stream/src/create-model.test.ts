import { describe, expect, it } from 'vitest';
import { createModel } from './create-model.js';
import type { Model } from './model.js';
import { linearRegression, logisticRegression } from './model.js';
import { mlp } from './models/mlp.js';
import { poissonRegression } from './models/poisson-regression.js';
import { softmaxRegression } from './models/softmax-regression.js';

describe('createModel', () => {
  const models: [string, Model][] = [
    ['linear', linearRegression({ features: 3 })],
    ['logistic', logisticRegression({ features: 2 })],
    ['poisson', poissonRegression({ features: 4 })],
    ['softmax', softmaxRegression({ features: 2, classes: 5 })],
    [
      'mlp',
      mlp({
        inputs: 2,
        hidden: [3, 4],
        outputs: 3,
        activation: 'relu',
        task: 'classification',
        seed: 7,
      }),
    ],
  ];
  it.each(models)(
    'rebuilds %s from its JSON spec: same shape, same outputs, same init',
    (_n, model) => {
      const again = createModel(JSON.parse(JSON.stringify(model.spec)));
      expect(again.spec).toEqual(model.spec);
      expect([again.kind, again.size, again.outputs, again.bufferSize]).toEqual([
        model.kind,
        model.size,
        model.outputs,
        model.bufferSize,
      ]);
      const params = Float64Array.from({ length: model.size }, (_, i) => Math.sin(i));
      const x = Array.from({ length: model.features }, (_, i) => i / 3 - 0.5);
      expect(again.predict(params, x)).toBe(model.predict(params, x));
      if (model.initialize) {
        const a = new Float64Array(model.size);
        const b = new Float64Array(model.size);
        model.initialize(a);
        again.initialize!(b);
        expect(Array.from(b)).toEqual(Array.from(a));
      }
    },
  );

  it('refuses an unknown kind, naming the known ones', () => {
    expect(() => createModel({ kind: 'tree' } as never)).toThrow(/built-in kinds are/);
    expect(() => createModel(null as never)).toThrow(TypeError);
  });
});
