import { describe, expect, it } from 'vitest';
import { AddressTable } from './address-table.js';

const limits = {
  connections: 2,
  connects: { capacity: 100, perSecond: 100 },
  tokenChecks: { capacity: 3, perSecond: 1 },
  addresses: 2,
};

describe('AddressTable', () => {
  it('caps connections per address and admits again after a release', () => {
    const table = new AddressTable(limits);
    const verdicts = [table.admit('a'), table.admit('a'), table.admit('a'), table.admit('b')];
    expect(verdicts).toEqual([true, true, false, true]);
    table.release('a');
    expect(table.admit('a')).toBe(true);
  });

  it('limits the rate of new connections per address, across closes', () => {
    let now = 0;
    const table = new AddressTable(
      { ...limits, connections: 100, connects: { capacity: 3, perSecond: 2 } },
      () => now,
    );
    const verdicts: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      verdicts.push(table.admit('a'));
      table.release('a');
    }
    now = 500;
    verdicts.push(table.admit('a'));
    expect(verdicts).toEqual([true, true, true, false, true]);
  });

  it('keeps the wrong-token budget across connections until it has refilled', () => {
    let now = 0;
    const table = new AddressTable(limits, () => now);
    const verdicts: boolean[] = [];
    table.admit('a');
    for (let i = 0; i < 3; i++) {
      verdicts.push(table.mayCheckToken('a'));
      table.tokenFailed('a');
    }
    table.release('a');
    table.admit('a');
    verdicts.push(table.mayCheckToken('a'), table.mayCheckToken('b'));
    expect(verdicts).toEqual([true, true, true, false, true]);
    table.release('a');
    expect(table.size).toBe(1);
    now = 1000;
    expect(table.mayCheckToken('a')).toBe(true);
  });

  it('remembers at most `addresses` entries, dropping empty ones first', () => {
    let now = 0;
    const table = new AddressTable(limits, () => now);
    table.admit('a');
    table.admit('b');
    expect(table.admit('c')).toBe(false);
    table.release('a');
    now = 1000;
    expect(table.admit('c')).toBe(true);
    expect(table.size).toBe(2);
  });
});
