import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/glm-trajectories.json' with { type: 'json' };
import { CASES, runCase } from '../fixtures/make-glm-trajectories.mjs';
import * as api from './index.js';

// The fixture was made by the package before the open model contract; the linear and
// logistic models must still train bitwise the same (params, losses, metrics).
describe('linear and logistic trajectories, pinned bitwise', () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    expect(runCase(api, CASES[i]!)).toEqual(fixture.cases[i]);
  });
});
