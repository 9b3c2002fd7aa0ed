import { lastValueFrom, map, type SchedulerLike, Subscription, take, timer, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { batchCounter } from '../test/batch-counter.js';
import { createGenerator, linearSpec } from './generators.js';
import { linearRegression } from './model.js';
import { batchedSource, linearSource, sampleSource } from './sources.js';
import { trainOnline } from './train-online.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
/**
 * Waits `turns` macrotasks of the event loop and at least `ms` milliseconds: a
 * producer still running would have had a batch in every turn, however busy the
 * machine (a plain sleep can end before the loop gets to the producer even once).
 */
const idle = (turns: number, ms: number) =>
  Promise.all([
    (async () => {
      for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    })(),
    new Promise((resolve) => setTimeout(resolve, ms)),
  ]);

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
    const counter = batchCounter();
    let produced = 0;
    const counting = linearSource({ scheduler: counter.scheduler }).pipe(
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
    const batches = counter.batches;
    // A closed subscriber drops what reaches it, so `produced` alone cannot see a
    // producer that keeps running: the batches it schedules can.
    await idle(10, 20);
    expect({ updates: updates.length, produced, batches: counter.batches }).toEqual({
      updates: 1000,
      produced: 1000,
      batches,
    });
    expect(batches).toBeGreaterThan(0);
  });

  it('a flat-out source leaves room for a 5 ms timer: it fires after the slice running when it fell due', async () => {
    // A scheduler that behaves like the default (setImmediate, performance.now) and
    // records when each batch ("slice") starts. The property: once the timer is due, at
    // most one new slice starts before it fires. "Due" is read with a 5 ms margin: libuv
    // decides with its cached loop clock, which on Linux may be the coarse monotonic
    // clock (up to 4 ms behind performance.now()), and a loaded machine can pause the
    // process between the loop's clock read and its timer check.
    const sliceStarts: number[] = [];
    const recording: SchedulerLike = {
      now: () => performance.now(),
      schedule(work, _delay, state) {
        const handle = setImmediate(() => {
          sliceStarts.push(performance.now());
          (work as (state: unknown) => void).call(undefined, state);
        });
        return new Subscription(() => clearImmediate(handle));
      },
    };
    let samples = 0;
    const subscription = linearSource({ scheduler: recording }).subscribe(() => samples++);
    const overdue: number[] = [];
    for (let i = 0; i < 5; i++) {
      const due = performance.now() + 5;
      await lastValueFrom(timer(5));
      const fired = performance.now();
      overdue.push(sliceStarts.filter((t) => t >= due + 5 && t < fired).length);
    }
    subscription.unsubscribe();
    expect(samples).toBeGreaterThan(1000);
    // at least one slice ran during each wait (one long slice per wait on a loaded machine)
    expect(sliceStarts.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...overdue)).toBeLessThanOrEqual(1);
  });

  it('the default (setImmediate) producer lets timers run too', async () => {
    let samples = 0;
    const subscription = linearSource().subscribe(() => samples++);
    const start = performance.now();
    await lastValueFrom(timer(5));
    const waited = performance.now() - start;
    subscription.unsubscribe();
    expect(samples).toBeGreaterThan(0);
    // A producer that starved the loop would never let this timer fire at all. The
    // bound is loose on purpose: on a busy machine the wait is mostly the scheduler's.
    expect(waited).toBeLessThan(10_000);
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
