import { describe, expect, it } from 'vitest';
import { Random } from '../random.js';
import { minMaxScaler } from './min-max-scaler.js';
import { oneHot } from './one-hot.js';
import { standardScaler } from './standard-scaler.js';

function rows(n: number, width: number): number[][] {
  const random = new Random(7);
  return Array.from({ length: n }, () =>
    Array.from({ length: width }, (_, j) => (j === width - 1 ? 5 : random.normal() * (j + 1) + j)),
  );
}

describe('standardScaler', () => {
  it('matches the two-pass mean and population variance; zero variance maps to 0', () => {
    const data = rows(500, 3);
    const scaler = standardScaler().build(3);
    for (const row of data) scaler.learn(row);
    const out = new Float64Array(3);
    const probe = [0.5, -1, 5];
    scaler.transform(probe, out);
    for (let j = 0; j < 2; j++) {
      const mean = data.reduce((s, r) => s + r[j]!, 0) / data.length;
      const variance = data.reduce((s, r) => s + (r[j]! - mean) ** 2, 0) / data.length;
      expect(out[j]).toBeCloseTo((probe[j]! - mean) / Math.sqrt(variance), 12);
    }
    expect(out[2]).toBe(0);
  });

  it('the first row scales to zeros; state round-trips through JSON', () => {
    const scaler = standardScaler().build(2);
    const out = new Float64Array(2);
    scaler.learn([3, 4]);
    scaler.transform([3, 4], out);
    expect(Array.from(out)).toEqual([0, 0]);
    scaler.learn([5, 1]);
    const copy = standardScaler().build(2);
    copy.loadState(JSON.parse(JSON.stringify(scaler.state())));
    const a = new Float64Array(2);
    copy.learn([1, 1]);
    scaler.learn([1, 1]);
    copy.transform([2, 2], a);
    scaler.transform([2, 2], out);
    expect(a).toEqual(out);
  });

  it('text in a numeric column is ADAMFLOW_ERR_ROW_VALUE and changes nothing', () => {
    const scaler = standardScaler().build(2);
    scaler.learn([1, 1]);
    const before = JSON.stringify(scaler.state());
    expect(() => scaler.learn([2, 'red'])).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_ROW_VALUE' }),
    );
    expect(JSON.stringify(scaler.state())).toBe(before);
  });
});

describe('minMaxScaler', () => {
  it('scales by the running min and max; 0 while they are equal', () => {
    const scaler = minMaxScaler().build(2);
    const out = new Float64Array(2);
    scaler.learn([2, 7]);
    scaler.transform([2, 7], out);
    expect(Array.from(out)).toEqual([0, 0]);
    scaler.learn([6, 7]);
    scaler.transform([5, 7], out);
    expect(Array.from(out)).toEqual([0.75, 0]);
    const copy = minMaxScaler().build(2);
    copy.loadState(JSON.parse(JSON.stringify(scaler.state())));
    copy.transform([5, 7], out);
    expect(Array.from(out)).toEqual([0.75, 0]);
    const empty = minMaxScaler().build(1);
    empty.loadState(JSON.parse(JSON.stringify(minMaxScaler().build(1).state())));
    empty.learn([3]);
    empty.learn([5]);
    empty.transform([4], out);
    expect(out[0]).toBe(0.5);
  });
});

describe('oneHot', () => {
  it('replaces each listed column in place by maxCategories slots, categories as first seen', () => {
    const encoder = oneHot({ columns: [0, 2], maxCategories: 2 }).build(3);
    expect(encoder.outputs).toBe(5);
    const out = new Float64Array(5);
    encoder.transform(['a', 1.5, 'x'], out);
    expect(Array.from(out)).toEqual([0, 0, 1.5, 0, 0]);
    encoder.learn(['a', 1.5, 'x']);
    encoder.learn(['b', 0, 'x']);
    encoder.transform(['b', 2, 'x'], out);
    expect(Array.from(out)).toEqual([0, 1, 2, 1, 0]);
  });

  it('a category past the maximum is ADAMFLOW_ERR_CATEGORY_OVERFLOW and changes nothing', () => {
    const encoder = oneHot({ columns: [0, 1], maxCategories: 1 }).build(2);
    encoder.learn(['a', 'x']);
    expect(() => encoder.learn(['a', 'y'])).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_CATEGORY_OVERFLOW' }),
    );
    expect(encoder.state()).toEqual({ categories: [['a'], ['x']] });
    const copy = oneHot({ columns: [0, 1], maxCategories: 1 }).build(2);
    copy.loadState(JSON.parse(JSON.stringify(encoder.state())));
    const out = new Float64Array(2);
    copy.transform(['a', 'x'], out);
    expect(Array.from(out)).toEqual([1, 1]);
  });

  it('refuses bad options with a message', () => {
    expect(() => oneHot({ columns: [], maxCategories: 2 })).toThrow(
      /columns must list input positions/,
    );
    expect(() => oneHot({ columns: [0], maxCategories: 0 })).toThrow(
      /maxCategories must be a positive integer/,
    );
    expect(() => oneHot({ columns: [3], maxCategories: 2 }).build(2)).toThrow(
      /column 3 is past the 2 inputs/,
    );
  });
});
