import { describe, expect, it } from 'vitest';
import { StreamError } from '../errors.js';
import { BinnedRocAuc } from './binned-roc-auc.js';
import { RocAuc } from './roc-auc.js';

// River's ROCAUC documentation: these four pairs give 87.50% with 10 thresholds and
// 75.00% (the exact area) with 20.
const pairs: [number, number][] = [
  [0, 0.1],
  [0, 0.4],
  [1, 0.35],
  [1, 0.8],
];

describe('BinnedRocAuc (River ROCAUC definition)', () => {
  it("reproduces River's documented figures: 0.875 on a 10-point grid, 0.75 on 20", () => {
    const ten = new BinnedRocAuc();
    const twenty = new BinnedRocAuc(20);
    const exact = new RocAuc();
    for (const [y, p] of pairs) {
      ten.update(y, p);
      twenty.update(y, p);
      exact.update(y, p);
    }
    expect(ten.get()).toBe(0.875);
    expect(twenty.get()).toBe(0.75);
    expect(exact.get()).toBe(0.75);
  });

  it('counts P = 0 and P = 1 inside the grid (its ends are pushed out)', () => {
    const auc = new BinnedRocAuc();
    auc.update(0, 0);
    auc.update(1, 1);
    expect(auc.get()).toBe(1);
  });

  it('revert undoes update', () => {
    const auc = new BinnedRocAuc();
    for (const [y, p] of pairs) auc.update(y, p);
    auc.update(1, 0.05);
    auc.revert(1, 0.05);
    expect(auc.get()).toBe(0.875);
  });

  it('refuses a bad grid, a non-binary target and a state of another grid', () => {
    expect(() => new BinnedRocAuc(1)).toThrow(/thresholds must be an integer >= 2, got 1/);
    const auc = new BinnedRocAuc();
    expect(() => auc.update(2, 0.5)).toThrow(StreamError);
    expect(() => auc.loadState(new BinnedRocAuc(20).state())).toThrow(/expected 10 thresholds/);
  });
});
