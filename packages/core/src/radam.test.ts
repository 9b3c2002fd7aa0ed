import { describe, expect, it } from 'vitest';
import { RAdam } from './index.js';

describe('RAdam', () => {
  it('takes plain momentum steps until rho_t exceeds 5 (step 6 for beta2 0.999), then rectified ones', () => {
    // A constant gradient 1 makes the bias-corrected moment exactly 1 (up to rounding):
    // unrectified steps move by lr, rectified ones by lr * r_t / (1 + eps / sqrt(v_hat)).
    const lr = 0.1;
    const opt = new RAdam(new Float64Array([0]), { lr });
    const moves: number[] = [];
    let last = 0;
    for (let t = 1; t <= 7; t++) {
      opt.step([1]);
      moves.push(last - opt.params[0]!);
      last = opt.params[0]!;
    }
    const rhoInf = 2 / (1 - 0.999) - 1;
    const rho = (t: number) => rhoInf - (2 * t * 0.999 ** t) / (1 - 0.999 ** t);
    const rect = (t: number) =>
      Math.sqrt(((rho(t) - 4) * (rho(t) - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho(t)));
    expect(rho(5)).toBeLessThan(5);
    expect(rho(6)).toBeGreaterThan(5);
    for (let t = 1; t <= 5; t++) expect(moves[t - 1]).toBeCloseTo(lr, 14);
    for (const t of [6, 7]) expect(moves[t - 1]).toBeCloseTo(lr * rect(t), 8);
    expect(rect(6)).toBeLessThan(0.1);
  });
});
