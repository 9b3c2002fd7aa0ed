import { Adam, SGD } from '@adamflow/core';
import { concat, from, lastValueFrom, of, take, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { applyGradients } from './apply-gradients.js';
import {
  createGenerator,
  driftSpec,
  linearSpec,
  logisticSpec,
  multilinearSpec,
  type Sample,
} from './generators.js';
import { Learner } from './learner.js';
import { linearRegression, logisticRegression } from './model.js';
import {
  batchedSource,
  driftSource,
  linearSource,
  logisticSource,
  multilinearSource,
  sampleSource,
} from './sources.js';
import { trainOnline } from './train-online.js';

const adam = (lr: number) => (params: Float64Array) => new Adam(params, { lr });
const last = <T>(source: import('rxjs').Observable<T>) => lastValueFrom(source);

describe('trainOnline: convergence', () => {
  it('learns the seed line per sample (within 0.1 of [4, 3] after 200 000 samples)', async () => {
    const u = await last(
      linearSource({ seed: 42 }).pipe(
        take(200_000),
        trainOnline({ model: linearRegression(), optimizer: adam(0.01) }),
      ),
    );
    expect(u.step).toBe(200_000);
    expect(Math.abs(u.params[0]! - 4)).toBeLessThan(0.1);
    expect(Math.abs(u.params[1]! - 3)).toBeLessThan(0.1);
    expect(u.metrics.mse).toBeGreaterThan(0.7); // the noise floor is 1
    expect(u.metrics.mse).toBeLessThan(1.4);
  });

  it('logistic regression reaches accuracy >= 0.9 on a separable stream', async () => {
    const u = await last(
      logisticSource({ seed: 5, features: 2, separable: true }).pipe(
        take(20_000),
        trainOnline({
          model: logisticRegression({ features: 2 }),
          optimizer: adam(0.05),
          window: 1000,
        }),
      ),
    );
    expect(u.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('recovers multivariate weights', async () => {
    const weights = [1.5, -2, 0.5, 3, -0.25];
    const u = await last(
      multilinearSource({ seed: 8, weights, bias: -1, noise: 0.1 }).pipe(
        take(50_000),
        trainOnline({ model: linearRegression({ features: 5 }), optimizer: adam(0.01) }),
      ),
    );
    expect(u.params[0]).toBeCloseTo(-1, 1);
    weights.forEach((w, j) => {
      expect(u.params[j + 1]).toBeCloseTo(w, 1);
    });
  });

  it('after an abrupt drift the rolling loss returns to within 10% of its pre-drift level', async () => {
    const updates = await last(
      driftSource({ seed: 11, positions: [20_000], width: 0 }).pipe(
        take(40_000),
        trainOnline({
          model: linearRegression(),
          optimizer: adam(0.01),
          window: 2000,
          output: 'copy',
        }),
        toArray(),
      ),
    );
    const before = updates[19_999]!.metrics.mse!;
    const spike = updates[20_500]!.metrics.mse!;
    const after = updates[39_999]!.metrics.mse!;
    expect(spike).toBeGreaterThan(1.5 * before);
    expect(Math.abs(after - before) / before).toBeLessThan(0.1);
    expect(updates[39_999]!.params[0]).toBeCloseTo(1, 0);
    expect(updates[39_999]!.params[1]).toBeCloseTo(-2, 0);
  });
});

describe('trainOnline: equivalences', () => {
  it('equals a plain loop over the same generator and optimizer, bit for bit', async () => {
    const u = await last(
      linearSource({ seed: 1 }).pipe(
        take(5000),
        trainOnline({ model: linearRegression(), optimizer: adam(0.02) }),
      ),
    );
    const params = new Float64Array(2);
    const opt = new Adam(params, { lr: 0.02 });
    const g = createGenerator(linearSpec({ seed: 1 }));
    for (let i = 0; i < 5000; i++) {
      const { x, y } = g.next();
      const r = 2 * (params[0]! + params[1]! * x[0]! - y);
      opt.step([r, r * x[0]!]);
    }
    expect(Array.from(u.params)).toEqual(Array.from(params));
  });

  it('minibatch k averages k gradients per step; batched and per-sample sources agree', async () => {
    const perSample = await last(
      linearSource({ seed: 2 }).pipe(
        take(3200),
        trainOnline({ model: linearRegression(), optimizer: adam(0.05), batchSize: 32 }),
        toArray(),
      ),
    );
    const batched = await last(
      batchedSource(linearSpec({ seed: 2 }), 32).pipe(
        take(100),
        trainOnline({ model: linearRegression(), optimizer: adam(0.05), batchSize: 32 }),
        toArray(),
      ),
    );
    expect(perSample).toHaveLength(100);
    expect(batched.map((u) => Array.from(u.params))).toEqual(
      perSample.map((u) => Array.from(u.params)),
    );
    // by hand
    const params = new Float64Array(2);
    const opt = new Adam(params, { lr: 0.05 });
    const g = createGenerator(linearSpec({ seed: 2 }));
    for (let step = 0; step < 100; step++) {
      const grad = [0, 0];
      for (let i = 0; i < 32; i++) {
        const { x, y } = g.next();
        const r = (2 * (params[0]! + params[1]! * x[0]! - y)) / 32;
        grad[0]! += r;
        grad[1]! += r * x[0]!;
      }
      opt.step(grad);
    }
    expect(Array.from(perSample[99]!.params)).toEqual(Array.from(params));
  });

  it.each([
    ['linear, 1 feature', linearSpec({ seed: 3 }), linearRegression()],
    [
      'multilinear, 3 features',
      multilinearSpec({ seed: 4, features: 3 }),
      linearRegression({ features: 3 }),
    ],
    ['logistic, 2 features', logisticSpec({ seed: 5 }), logisticRegression({ features: 2 })],
  ] as const)(
    '%s: batches and single samples give bitwise the same updates and metrics',
    async (_, spec, model) => {
      const options = { model, optimizer: adam(0.05), batchSize: 8, window: 10 } as const;
      const single = await last(
        sampleSource(spec).pipe(take(400), trainOnline(options), toArray()),
      );
      // Batches of 12 straddle the minibatches of 8: segments end inside a batch.
      const batched = await last(
        batchedSource(spec, 12).pipe(take(400 / 12 + 1), trainOnline(options), take(50), toArray()),
      );
      expect(single).toHaveLength(50);
      expect(batched).toEqual(single);
    },
  );

  it("'copy' updates are safe to keep; 'view' reuses one object with the live params", async () => {
    const copies = await last(
      linearSource().pipe(
        take(3),
        trainOnline({ model: linearRegression(), optimizer: 'adam' }),
        toArray(),
      ),
    );
    expect(copies[0]!.params).not.toBe(copies[1]!.params);
    expect(copies[0]!.params[0]).not.toBe(copies[2]!.params[0]);
    const views = await last(
      linearSource().pipe(
        take(3),
        trainOnline({ model: linearRegression(), optimizer: 'adam', output: 'view' }),
        toArray(),
      ),
    );
    expect(views[0]).toBe(views[2]);
    expect(Array.from(views[0]!.params)).toEqual(Array.from(copies[2]!.params));
  });

  it('each subscription trains from the initial params', async () => {
    const train = linearSource({ seed: 3 }).pipe(
      take(100),
      trainOnline({ model: linearRegression(), optimizer: 'adam', params: [1, 1] }),
    );
    const a = await last(train);
    const b = await last(train);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  });
});

describe('trainOnline: errors and teardown', () => {
  const good: Sample = { x: [1], y: 7, index: 0 };

  it('a malformed sample errors with ADAMFLOW_ERR_MALFORMED_SAMPLE (marbles)', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(
      ({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('a-b-c', {
          a: good,
          b: { x: [1, 2], y: 1, index: 1 } as Sample,
          c: good,
        });
        const result = source.pipe(trainOnline({ model: linearRegression(), optimizer: 'adam' }));
        expectObservable(result.pipe(take(5)), undefined).toBe(
          'u-#',
          { u: expect.objectContaining({ type: 'params-update', step: 1 }) },
          expect.objectContaining({ code: 'ADAMFLOW_ERR_MALFORMED_SAMPLE' }),
        );
        expectSubscriptions(source.subscriptions).toBe('^-!');
      },
    );
  });

  it('a non-finite gradient errors with the optimizer code; state was not changed', async () => {
    const bad = { x: [Number.NaN], y: 1, index: 1 };
    const run = from([good, bad as Sample]).pipe(
      trainOnline({ model: linearRegression(), optimizer: 'adam' }),
    );
    await expect(lastValueFrom(run)).rejects.toMatchObject({
      code: 'ADAMFLOW_ERR_MALFORMED_SAMPLE',
    });
    const nanGradient = from([good, { x: [1e308], y: -1e308, index: 1 }]).pipe(
      trainOnline({ model: linearRegression(), optimizer: adam(0.1) }),
    );
    await expect(lastValueFrom(nanGradient)).rejects.toMatchObject({
      code: 'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
    });
  });

  it("under the optimizer's 'skip' policy a malformed sample is skipped and counted", async () => {
    const learner = new Learner({
      model: linearRegression(),
      optimizer: (p) => new SGD(p, { lr: 0.1, nonFinite: 'skip' }),
    });
    expect(learner.learn({ x: [1, 2], y: 1, index: 0 })).toBe(false);
    expect(learner.learn({ x: [Number.NaN], y: 1, index: 1 })).toBe(false);
    expect(learner.learn(null as never)).toBe(false);
    expect(learner.skippedSamples).toBe(3);
    expect(learner.steps).toBe(0);
    expect(learner.learn(good)).toBe(true);
  });

  it('an upstream error passes through; teardown runs', async () => {
    let tornDown = false;
    const upstream = concat(
      of(good),
      throwError(() => new Error('boom')),
    );
    const run = upstream.pipe(trainOnline({ model: linearRegression(), optimizer: 'adam' }));
    await expect(lastValueFrom(run)).rejects.toThrow('boom');
    const sub = linearSource({ rate: 100 })
      .pipe(trainOnline({ model: linearRegression(), optimizer: 'adam' }))
      .subscribe({ complete: () => (tornDown = true) });
    sub.unsubscribe();
    expect(sub.closed).toBe(true);
    expect(tornDown).toBe(false);
  });

  it('bad options throw at pipe time', () => {
    expect(() => trainOnline({ model: linearRegression(), optimizer: 'lion' as never })).toThrow(
      /optimizer must be a factory/,
    );
    expect(() =>
      trainOnline({ model: linearRegression(), optimizer: 'adam', batchSize: 0 }),
    ).toThrow(/batchSize must be a positive integer/);
    expect(() =>
      trainOnline({ model: linearRegression(), optimizer: 'adam', params: [1] }),
    ).toThrow(/params has 1 entries/);
    expect(() =>
      trainOnline({ model: linearRegression(), optimizer: 'adam', output: 'share' as never }),
    ).toThrow(/output must be/);
    expect(() => trainOnline({ model: {} as never, optimizer: 'adam' })).toThrow(
      /model must be a Model/,
    );
  });
});

describe('trainOnline and applyGradients: checkpoints', () => {
  it('a state taken while running, passed as from, continues bitwise; the factory runs once per subscription', async () => {
    const spec = linearSpec({ seed: 9 });
    const samples = (from: number, count: number) => {
      const g = createGenerator(spec);
      for (let i = 0; i < from; i++) g.next();
      return Array.from({ length: count }, () => g.next());
    };
    let built = 0;
    const options = {
      model: linearRegression(),
      optimizer: (p: Float64Array) => {
        built++;
        return new Adam(p, { lr: 0.01 });
      },
      batchSize: 3,
    };
    const operator = trainOnline(options);
    expect(built).toBe(0);
    const whole = await last(from(samples(0, 1000)).pipe(operator));
    expect(built).toBe(1);
    let takeState: (() => import('./learner.js').LearnerState) | undefined;
    await last(
      from(samples(0, 500)).pipe(trainOnline({ ...options, checkpointer: (t) => (takeState = t) })),
    );
    const state = JSON.parse(JSON.stringify(takeState!()));
    const resumed = await last(
      from(samples(500, 500)).pipe(trainOnline({ ...options, from: state })),
    );
    expect(Array.from(resumed.params)).toEqual(Array.from(whole.params));
    expect(resumed.metrics).toEqual(whole.metrics);
  });

  it('applyGradients continues bitwise from a state taken while running', async () => {
    const grads = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i)]);
    const options = { params: [0, 0], optimizer: adam(0.1) };
    const whole = await last(from(grads).pipe(applyGradients(options)));
    let takeState:
      | (() =>
          | import('@adamflow/core').OptimizerState
          | import('./partitioned.js').PartitionedState)
      | undefined;
    await last(
      from(grads.slice(0, 17)).pipe(
        applyGradients({ ...options, checkpointer: (t) => (takeState = t) }),
      ),
    );
    const state = JSON.parse(JSON.stringify(takeState!()));
    const resumed = await last(
      from(grads.slice(17)).pipe(applyGradients({ ...options, from: state })),
    );
    expect(Array.from(resumed.params)).toEqual(Array.from(whole.params));
    expect(resumed.step).toBe(40);
  });
});

describe('optimizer factories', () => {
  it('trainOnline calls the factory once per subscription, none at pipe time', async () => {
    let calls = 0;
    const operator = trainOnline({
      model: linearRegression(),
      optimizer: (params) => {
        calls++;
        return new Adam(params, { lr: 0.01 });
      },
    });
    expect(calls).toBe(0);
    const run = linearSource({ seed: 1 }).pipe(take(10), operator, toArray());
    await lastValueFrom(run);
    expect(calls).toBe(1);
    await lastValueFrom(run);
    expect(calls).toBe(2);
  });

  it('applyGradients calls the factory once per subscription', async () => {
    let calls = 0;
    const run = of([1, -1], [0.5, -0.5]).pipe(
      applyGradients({
        params: [0, 0],
        optimizer: (params) => {
          calls++;
          return new Adam(params, { lr: 0.1 });
        },
      }),
      toArray(),
    );
    expect(calls).toBe(0);
    await lastValueFrom(run);
    expect(calls).toBe(1);
  });
});

describe('applyGradients', () => {
  it('feeds any gradient stream to an optimizer (marbles)', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const grads = cold('a-b|', { a: [1, -1], b: [1, -1] });
      const params = new Float64Array([0, 0]);
      const reference = new Adam(params, { lr: 0.1 });
      reference.step([1, -1]);
      const first = Array.from(params);
      reference.step([1, -1]);
      const result = grads.pipe(
        applyGradients({ params: [0, 0], optimizer: (p) => new Adam(p, { lr: 0.1 }) }),
      );
      expectObservable(result).toBe('a-b|', {
        a: { type: 'params-update', step: 1, applied: true, params: new Float64Array(first) },
        b: { type: 'params-update', step: 2, applied: true, params: new Float64Array(params) },
      });
    });
  });
  it('a wrong-length gradient errors; unsubscribing stops', async () => {
    const run = of([1, 2, 3]).pipe(
      applyGradients({ params: [0, 0], optimizer: (p) => new Adam(p) }),
    );
    await expect(lastValueFrom(run)).rejects.toThrow(RangeError);
  });
});

describe('drift source helpers', () => {
  it('driftSpec default is the seed line changing to y = 1 - 2x', () => {
    expect(driftSpec().concepts).toEqual([
      { bias: 4, weights: [3] },
      { bias: 1, weights: [-2] },
    ]);
  });
});
