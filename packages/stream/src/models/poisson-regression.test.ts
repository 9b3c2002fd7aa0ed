import { describe, expect, it } from 'vitest';
import { poissonRegression } from './poisson-regression.js';

describe('poissonRegression', () => {
  it("predicts exp(eta); its loss is River's Poisson loss exp(eta) - y eta", () => {
    const model = poissonRegression({ features: 2 });
    const out = new Float64Array(model.bufferSize);
    const params = [0.5, -1, 0.25];
    const x = [0.3, 2];
    const eta = 0.5 - 0.3 + 0.5;
    const mu = model.predict(params, x, 0, out);
    expect(mu).toBe(Math.exp(eta));
    expect(model.loss(mu, 3, out)).toBe(Math.exp(eta) - 3 * eta);
    const grad = new Float64Array(3);
    model.accumulateGradient(params, x, 0, 3, mu, grad, 1, out);
    expect(Array.from(grad)).toEqual([mu - 3, (mu - 3) * 0.3, (mu - 3) * 2]);
  });
});
