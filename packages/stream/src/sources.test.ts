import { lastValueFrom, map, take, timer, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createGenerator, linearSpec } from './generators.js';
import { linearRegression } from './model.js';
import { batchedSource, linearSource, sampleSource } from './sources.js';
import { trainOnline } from './train-online.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('sources in virtual time (marbles)', () => {
  it('paces at the given rate: 10 samples/s is one every 100 ms', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const source = sampleSource(linearSpec(), { rate: 10, scheduler: ts }).pipe(
        map((s) => s.index),
        take(3),
      );
      expectObservable(source).toBe('100ms a 99ms b 99ms (c|)', { a: 0, b: 1, c: 2 });
    });
  });

  it('paced faster than the tick: 1000 samples/s arrive 10 per 10 ms tick', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const counts = sampleSource(linearSpec(), { rate: 1000, scheduler: ts }).pipe(
        take(25),
        toArray(),
        map((xs) => xs.length),
      );
      expectObservable(counts).toBe('30ms (a|)', { a: 25 });
    });
  });

  it('flat out on a scheduler: everything at frame 0, stopped by take', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const source = sampleSource(linearSpec(), { scheduler: ts }).pipe(
        take(20_000),
        toArray(),
        map((x) => x.length),
      );
      expectObservable(source).toBe('(a|)', { a: 20_000 });
    });
  });

  it('unsubscription stops the producer (marbles)', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const source = sampleSource(linearSpec(), { rate: 10, scheduler: ts }).pipe(
        map((s) => s.index),
      );
      expectObservable(source, '^ 250ms !').toBe('100ms a 99ms b', { a: 0, b: 1 });
    });
  });

  it('emits the same samples as the generator', () => {
    const ts = scheduler();
    const expected = createGenerator(linearSpec({ seed: 9 }));
    ts.run(({ expectObservable }) => {
      const source = linearSource({ seed: 9, scheduler: ts }).pipe(take(3));
      expectObservable(source).toBe('(abc|)', {
        a: expected.next(),
        b: expected.next(),
        c: expected.next(),
      });
    });
  });
});

describe('sources on the real event loop', () => {
  it('take(n) after our operator stops an infinite flat-out source at once', async () => {
    let produced = 0;
    const counting = linearSource().pipe(
      map((s) => {
        produced++;
        return s;
      }),
    );
    const updates = await lastValueFrom(
      counting.pipe(
        trainOnline({ model: linearRegression(), optimizer: 'adam' }),
        take(1000),
        toArray(),
      ),
    );
    expect(updates).toHaveLength(1000);
    expect(produced).toBe(1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(produced).toBe(1000); // nothing kept running
  });

  it('a flat-out source leaves room for a 5 ms timer', async () => {
    // Lateness of 5 ms timers, median of 7, with and without the source running flat
    // out. A source that starved the event loop would make them never fire; one that
    // yields every 4 ms slice adds at most a slice. Compared with a baseline measured
    // in the same test, so a loaded machine does not make this flaky.
    const lateness = async () => {
      const late: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = performance.now();
        await lastValueFrom(timer(5));
        late.push(performance.now() - start - 5);
      }
      return late.sort((x, y) => x - y)[3]!;
    };
    const baseline = await lateness();
    let samples = 0;
    const subscription = linearSource().subscribe(() => samples++);
    const loaded = await lateness();
    subscription.unsubscribe();
    expect(samples).toBeGreaterThan(1000);
    expect(loaded).toBeLessThan(baseline + 8);
  });

  it('batchedSource emits SampleBatch blocks identical to the sample stream', async () => {
    const batches = await lastValueFrom(batchedSource(linearSpec(), 8).pipe(take(3), toArray()));
    const samples = await lastValueFrom(linearSource().pipe(take(24), toArray()));
    batches.forEach((b, k) => {
      for (let i = 0; i < 8; i++) {
        expect(b.x[i]).toBe(samples[k * 8 + i]!.x[0]);
        expect(b.y[i]).toBe(samples[k * 8 + i]!.y);
      }
    });
  });

  it('refuses bad options at call time', () => {
    expect(() => linearSource({ rate: -1 })).toThrow(RangeError);
    expect(() => batchedSource(linearSpec(), 0)).toThrow(/size must be a positive integer/);
    expect(() => linearSource({ noise: -1 })).toThrow(RangeError);
  });
});
