import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetric, type MetricName } from './create-metric.js';

// Made by fixtures/make-metric-reference.py: textbook formulas, one pass per value.
interface Section {
  pairs: [number, number | number[]][];
  cumulative: Record<string, number>;
  rolling: Record<string, number>;
}
const reference = JSON.parse(
  readFileSync(new URL('../../fixtures/metric-reference.json', import.meta.url), 'utf8'),
) as { window: number; regression: Section; binary: Section; multiclass: Section };

function run(section: Section, name: string, window?: number) {
  const metric = createMetric(name as MetricName, window);
  for (const [y, p] of section.pairs) metric.update(y, p);
  return metric;
}

const cases = (['regression', 'binary', 'multiclass'] as const).flatMap((kind) =>
  Object.keys(reference[kind].cumulative).map((name) => [kind, name] as const),
);

describe('metrics against the textbook reference', () => {
  it.each(cases)('%s %s, cumulative', (kind, name) => {
    const section = reference[kind];
    const expected = section.cumulative[name]!;
    expect(Math.abs(run(section, name).get() - expected)).toBeLessThanOrEqual(
      1e-12 * Math.max(1, Math.abs(expected)),
    );
  });

  it.each(cases)('%s %s, rolling over the last window', (kind, name) => {
    const section = reference[kind];
    const expected = section.rolling[name]!;
    expect(Math.abs(run(section, name, reference.window).get() - expected)).toBeLessThanOrEqual(
      1e-9 * Math.max(1, Math.abs(expected)),
    );
  });

  it.each(cases)(
    '%s %s: state() restores into a fresh metric that continues exactly',
    (kind, name) => {
      const section = reference[kind];
      const half = section.pairs.length / 2;
      for (const window of [undefined, reference.window]) {
        const first = createMetric(name as MetricName, window);
        for (const [y, p] of section.pairs.slice(0, half)) first.update(y, p);
        const second = createMetric(name as MetricName, window);
        second.loadState(JSON.parse(JSON.stringify(first.state())));
        for (const [y, p] of section.pairs.slice(half)) second.update(y, p);
        expect(second.get()).toBe(run(section, name, window).get());
      }
    },
  );
});

describe('metric edge cases', () => {
  it('a probability of exactly 0.5 is class 0', () => {
    const accuracy = createMetric('accuracy');
    accuracy.update(0, 0.5);
    accuracy.update(1, 0.5);
    expect(accuracy.get()).toBe(0.5);
    const recall = createMetric('recall');
    recall.update(1, 0.5);
    expect(recall.get()).toBe(0);
  });

  it('rolling macro-F1 averages over the classes in the window only', () => {
    const macro = createMetric('macro-f1', 2);
    macro.update(2, [0, 0, 1]);
    macro.update(0, [1, 0, 0]);
    macro.update(1, [0, 1, 0]);
    expect(macro.get()).toBe(1);
  });

  it('values are NaN before any pair, and rocauc until both classes appear', () => {
    expect(createMetric('mae').get()).toBeNaN();
    const auc = createMetric('rocauc');
    auc.update(1, 0.9);
    expect(auc.get()).toBeNaN();
    auc.update(0, 0.1);
    expect(auc.get()).toBe(1);
  });

  it('rejects unknown names and bad windows with a message', () => {
    expect(() => createMetric('auc' as MetricName)).toThrow(/metric must be one of mae, mse/);
    expect(() => createMetric('mae', 0)).toThrow(/window must be a positive integer, got 0/);
  });
});
