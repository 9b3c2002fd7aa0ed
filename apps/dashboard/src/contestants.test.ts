import { createGenerator, linearRegression, linearSpec, Race } from '@adamflow/stream';
import { describe, expect, it } from 'vitest';
import { Contestants } from './contestants.js';

const model = linearRegression();

/** Feeds `count` samples of the seed line to the contestants; returns the samples. */
function feed(contestants: Contestants, count: number, seed = 7) {
  const source = createGenerator(linearSpec({ seed }));
  const samples = [];
  for (let i = 1; i <= count; i++) {
    const sample = source.next();
    samples.push({ x: Array.from(sample.x), y: sample.y });
    contestants.learn(sample, i);
  }
  return samples;
}

describe('Contestants', () => {
  it('trains every contestant on the same samples in the same order, as a Race of them alone does', () => {
    const contestants = new Contestants(model, () => {});
    contestants.add({ optimizer: 'adam', options: { lr: 0.05 } });
    contestants.add({ optimizer: 'sgd', options: { lr: 0.01, momentum: 0.9 } });
    const samples = feed(contestants, 500);
    const reference = new Race({
      model,
      contestants: [
        { name: 'c1', optimizer: 'adam', options: { lr: 0.05 } },
        { name: 'c2', optimizer: 'sgd', options: { lr: 0.01, momentum: 0.9 } },
      ],
    });
    for (const sample of samples) reference.learn(sample);
    const statuses = contestants.statuses(500);
    expect(statuses.map((status) => status.params)).toEqual(
      reference.contestants.map((contestant) => Array.from(contestant.learner.params)),
    );
    expect(statuses.map((status) => status.steps)).toEqual([500, 500]);
  });

  it('a diverging contestant leaves the race marked diverged; the others learn every sample', () => {
    const diverged: string[] = [];
    const contestants = new Contestants(model, (id) => diverged.push(id));
    contestants.add({ optimizer: 'adam', options: { lr: 0.05 } });
    contestants.add({ optimizer: 'sgd', options: { lr: 3 } });
    contestants.add({ optimizer: 'rmsprop', options: { lr: 0.01 } });
    feed(contestants, 2000);
    expect(diverged).toEqual(['c2']);
    const [adam, sgd, rmsprop] = contestants.configs();
    expect(adam!.diverged).toBeNull();
    expect(sgd!.diverged).toMatchObject({
      code: expect.stringMatching(/^ADAMFLOW_ERR_NON_FINITE/),
    });
    expect(rmsprop!.diverged).toBeNull();
    const statuses = contestants.statuses(2000);
    expect(statuses.map((status) => status.steps)).toEqual([2000, sgd!.diverged!.step, 2000]);
    expect(statuses.every((status) => status.params.every(Number.isFinite))).toBe(true);
    expect(statuses[1]).toMatchObject({ loss: null, lossEma: null });
  });

  it('retuning a diverged contestant enters it again; a refused command changes nothing', () => {
    const contestants = new Contestants(model, () => {});
    contestants.add({ optimizer: 'sgd', options: { lr: 3 } });
    feed(contestants, 500);
    expect(contestants.configs()[0]!.diverged).not.toBeNull();
    const before = contestants.state();
    expect(() => contestants.retune('c1', { lr: -1 })).toThrow(/lr/);
    expect(() => contestants.retune('c9', { lr: 0.01 })).toThrow(/no contestant "c9"/);
    expect(() => contestants.remove('c9')).toThrow(/no contestant "c9"/);
    expect(contestants.state()).toEqual(before);
    contestants.retune('c1', { lr: 0.01 });
    expect(contestants.configs()[0]).toMatchObject({ diverged: null, options: { lr: 0.01 } });
    feed(contestants, 100);
    expect(contestants.statuses(600)[0]!.steps).toBe(100);
  });

  it('holds at most seven besides the primary, each with its own colour', () => {
    const contestants = new Contestants(model, () => {});
    for (let i = 0; i < 7; i++) contestants.add({ optimizer: 'adam' });
    expect(() => contestants.add({ optimizer: 'sgd' })).toThrow(/at most 8 contestants/);
    expect(new Set(contestants.configs().map((config) => config.colour))).toEqual(
      new Set([1, 2, 3, 4, 5, 6, 7]),
    );
    contestants.remove('c3');
    expect(contestants.add({ optimizer: 'sgd' })).toMatchObject({ id: 'c8', colour: 3 });
  });

  it('its state continues bitwise, diverged ones included', () => {
    const contestants = new Contestants(model, () => {});
    contestants.add({ optimizer: 'adam', options: { lr: 0.05 } });
    contestants.add({ optimizer: 'sgd', options: { lr: 3 } });
    feed(contestants, 300);
    const saved = JSON.parse(JSON.stringify(contestants.state()));
    const restored = new Contestants(model, () => {});
    restored.load(saved);
    feed(contestants, 300, 9);
    feed(restored, 300, 9);
    expect(restored.statuses(600)).toEqual(contestants.statuses(600));
    expect(restored.configs()).toEqual(contestants.configs());
  });
});
