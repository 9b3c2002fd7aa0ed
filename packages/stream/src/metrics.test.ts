import { describe, expect, it } from 'vitest';
import { PrequentialMetrics } from './metrics.js';

describe('PrequentialMetrics', () => {
  it('rolls MSE and MAE over the window, against a direct computation', () => {
    const m = new PrequentialMetrics('regression', 3, 0.9);
    const errors = [1, -2, 0.5, 3, -1];
    for (const e of errors) m.record(e, 0, e * e);
    const window = errors.slice(-3);
    expect(m.snapshot().mse).toBeCloseTo(window.reduce((s, e) => s + e * e, 0) / 3, 12);
    expect(m.snapshot().mae).toBeCloseTo(window.reduce((s, e) => s + Math.abs(e), 0) / 3, 12);
  });
  it('debiases the EMA: a constant loss reads as itself from the first sample', () => {
    const m = new PrequentialMetrics('regression', 10, 0.99);
    m.record(2, 0, 4);
    expect(m.snapshot().lossEma).toBeCloseTo(4, 12);
    m.record(2, 0, 4);
    expect(m.snapshot().lossEma).toBeCloseTo(4, 12);
  });
  it('debiases by 1 - beta^n at every n, before and after beta^n vanishes', () => {
    const beta = 0.99;
    const m = new PrequentialMetrics('regression', 10, beta);
    let ema = 0;
    for (let n = 1; n <= 100_000; n++) {
      const loss = 1 + Math.sin(n);
      m.record(0, 0, loss);
      ema = beta * ema + (1 - beta) * loss;
      if (n % 997 === 0 || n < 50 || n === 100_000) {
        expect(m.snapshot().lossEma).toBe(ema / (1 - beta ** n));
      }
    }
  });
  it('classification: accuracy at threshold 0.5 and mean log loss', () => {
    const m = new PrequentialMetrics('classification', 4, 0.5);
    m.record(0.9, 1, 0.1);
    m.record(0.2, 1, 1.6);
    m.record(0.4, 0, 0.5);
    m.record(0.7, 0, 1.2);
    expect(m.snapshot().accuracy).toBe(0.5);
    expect(m.snapshot().logLoss).toBeCloseTo(0.85, 12);
  });
  it('classification: a probability of exactly 0.5 is the negative class, in record and recordMany', () => {
    const one = new PrequentialMetrics('classification', 4, 0.5);
    one.record(0.5, 0, 0.7);
    one.record(0.5, 1, 0.7);
    expect(one.snapshot().accuracy).toBe(0.5);
    const many = new PrequentialMetrics('classification', 4, 0.5);
    many.recordMany(
      Float64Array.of(0.5, 0.5),
      Float64Array.of(0, 0),
      0,
      Float64Array.of(0.7, 0.7),
      2,
    );
    expect(many.snapshot().accuracy).toBe(1);
  });
  it.each(['regression', 'classification'] as const)(
    '%s: recordMany is bitwise the same as record, sample by sample',
    (task) => {
      const one = new PrequentialMetrics(task, 7, 0.9);
      const many = new PrequentialMetrics(task, 7, 0.9);
      const predictions = Float64Array.from({ length: 20 }, (_, i) => Math.sin(i) / 2 + 0.5);
      const targets = Float64Array.from({ length: 25 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
      const losses = Float64Array.from({ length: 20 }, (_, i) => Math.cos(i) ** 2);
      for (let k = 0; k < 20; k++) one.record(predictions[k]!, targets[k + 5]!, losses[k]!);
      many.recordMany(predictions, targets, 5, losses, 20);
      expect(many.state()).toEqual(one.state());
    },
  );
  it('state round-trips to an identical continuation', () => {
    const a = new PrequentialMetrics('regression', 5, 0.95);
    for (let i = 0; i < 7; i++) a.record(i * 0.3, 1, (i * 0.3 - 1) ** 2);
    const b = PrequentialMetrics.fromState(JSON.parse(JSON.stringify(a.state())));
    a.record(5, 1, 16);
    b.record(5, 1, 16);
    expect(b.snapshot()).toEqual(a.snapshot());
  });
  it('is NaN before any sample, and refuses bad settings', () => {
    expect(new PrequentialMetrics('regression', 2, 0.5).snapshot().mse).toBeNaN();
    expect(() => new PrequentialMetrics('regression', 0, 0.5)).toThrow(RangeError);
    expect(() => new PrequentialMetrics('regression', 2, 1)).toThrow(/emaBeta/);
  });
});
