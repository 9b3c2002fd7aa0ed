import { describe, expect, it } from 'vitest';
import fixture from '../../fixtures/model-gradients.json' with { type: 'json' };
import type { Model } from '../model.js';
import { mlp } from './mlp.js';
import { poissonRegression } from './poisson-regression.js';
import { softmaxRegression } from './softmax-regression.js';

// Outputs, losses and gradients against PyTorch autograd in float64, at random points,
// in the package's layouts (fixtures/make-model-gradients.py made the fixture).

type Options = (typeof fixture.cases)[number]['options'];

function build(options: Options): Model {
  if (options.model === 'softmax') {
    return softmaxRegression({ features: options.features!, classes: options.classes! });
  }
  if (options.model === 'poisson') return poissonRegression({ features: options.features! });
  return mlp({
    inputs: options.inputs!,
    hidden: options.hidden!,
    outputs: options.outputs!,
    activation: options.activation as 'tanh' | 'relu',
    task: options.task as 'regression' | 'classification',
  });
}

/** The largest difference relative to max(1, |reference|). */
function worst(actual: ArrayLike<number>, expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    max = Math.max(max, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  }
  return max;
}

describe.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, reference) => {
  it('outputs, loss and gradient equal PyTorch autograd (float64)', () => {
    const model = build(reference.options);
    const gaps: number[] = [];
    for (const point of reference.points) {
      const out = new Float64Array(model.bufferSize);
      const grad = new Float64Array(model.size);
      const prediction = model.predict(point.params, point.x, 0, out);
      const loss = model.loss(prediction, point.y, out);
      model.accumulateGradient(point.params, point.x, 0, point.y, prediction, grad, 1, out);
      gaps.push(worst(out.subarray(0, model.outputs), point.outputs));
      gaps.push(worst([loss], [point.loss]));
      gaps.push(worst(grad, point.grad));
    }
    expect(Math.max(...gaps)).toBeLessThan(1e-12);
  });
});
