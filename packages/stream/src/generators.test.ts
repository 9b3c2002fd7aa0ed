import { describe, expect, it } from 'vitest';
import {
  createGenerator,
  driftSpec,
  linearSpec,
  logisticSpec,
  multilinearSpec,
  restoreGenerator,
  type SourceSpec,
} from './generators.js';

const specs: SourceSpec[] = [
  linearSpec({ seed: 3 }),
  multilinearSpec({ seed: 3, features: 4 }),
  logisticSpec({ seed: 3, features: 3 }),
  driftSpec({ seed: 3, positions: [50], width: 20 }),
];

describe.each(specs.map((s) => [s.kind, s] as const))('%s generator', (_kind, spec) => {
  it('is deterministic: the same spec gives the same samples bit for bit', () => {
    const a = createGenerator(spec);
    const b = createGenerator(JSON.parse(JSON.stringify(spec)));
    const fromA = Array.from({ length: 500 }, () => a.next());
    expect(Array.from({ length: 500 }, () => b.next())).toEqual(fromA);
  });

  it('restores from state() and continues identically', () => {
    const a = createGenerator(spec);
    for (let i = 0; i < 77; i++) a.next();
    const b = restoreGenerator(JSON.parse(JSON.stringify(a.state())));
    expect(b.position).toBe(77);
    const fromA = Array.from({ length: 200 }, () => a.next());
    expect(Array.from({ length: 200 }, () => b.next())).toEqual(fromA);
  });

  it('batches hold exactly the one-by-one samples', () => {
    const a = createGenerator(spec);
    const b = createGenerator(spec);
    const batches = [b.nextBatch(5), b.nextBatch(32), b.nextBatch(1)];
    for (const batch of batches) {
      for (let i = 0; i < batch.count; i++) {
        const sample = a.next();
        expect(batch.start + i).toBe(sample.index);
        expect(Array.from(batch.x.subarray(i * batch.features, (i + 1) * batch.features))).toEqual(
          sample.x,
        );
        expect(batch.y[i]).toBe(sample.y);
      }
    }
  });

  it('nextBatch refuses a count that is not a positive integer, and changes nothing', () => {
    const a = createGenerator(spec);
    const b = createGenerator(spec);
    for (const count of [0, -1, 2.5, Number.NaN]) {
      expect(() => a.nextBatch(count)).toThrow(/count must be a positive integer/);
    }
    expect(a.position).toBe(0);
    expect(a.nextBatch(40)).toEqual(b.nextBatch(40));
  });

  it('a different seed gives different samples', () => {
    const a = createGenerator(spec).next();
    const b = createGenerator({ ...spec, seed: spec.seed + 1 }).next();
    expect(b.x[0]).not.toBe(a.x[0]);
  });
});

describe('pinned samples (a change to the streams is a breaking change)', () => {
  it('the seed stream with seed 42 starts with these samples', () => {
    // Pinned on purpose: every machine must produce these bits (the PRNG itself is
    // checked against the C reference in random.test.ts).
    const g = createGenerator(linearSpec({ seed: 42 }));
    expect([g.next(), g.next()]).toEqual([
      { x: [1.3212314416003241], y: 9.521357927174815, index: 0 },
      { x: [1.0692098752227042], y: 7.187800410017078, index: 1 },
    ]);
  });
});

describe('linear (seed) stream', () => {
  it('defaults to x ~ U(0, 2), y = 4 + 3x + N(0, 1)', () => {
    const g = createGenerator(linearSpec());
    let residual = 0;
    let residualSquares = 0;
    const n = 50_000;
    const outside: number[] = []; // collected, then asserted once
    for (let i = 0; i < n; i++) {
      const { x, y } = g.next();
      if (!(x[0]! >= 0 && x[0]! < 2)) outside.push(x[0]!);
      const r = y - (4 + 3 * x[0]!);
      residual += r;
      residualSquares += r * r;
    }
    expect(outside).toEqual([]);
    expect(Math.abs(residual / n)).toBeLessThan(0.03);
    expect(Math.abs(residualSquares / n - 1)).toBeLessThan(0.03);
  });
});

describe('drift stream', () => {
  it('abrupt: the line changes exactly at the position', () => {
    const g = createGenerator(driftSpec({ noise: 0, positions: [10], width: 0 }));
    for (let i = 0; i < 20; i++) {
      const { x, y } = g.next();
      const expected = i < 10 ? 4 + 3 * x[0]! : 1 - 2 * x[0]!;
      expect(y).toBeCloseTo(expected, 12);
    }
  });
  it('gradual: halfway through the sigmoid at the position', () => {
    const g = createGenerator(driftSpec({ noise: 0, positions: [100], width: 40 }));
    for (let i = 0; i < 100; i++) g.next();
    const { x, y } = g.next();
    expect(y).toBeCloseTo(2.5 + 0.5 * x[0]!, 12);
  });
});

describe('validation', () => {
  it.each([
    ['noise negative', () => linearSpec({ noise: -1 }), /noise must be a finite number >= 0/],
    ['xMin >= xMax', () => linearSpec({ xMin: 2, xMax: 2 }), /xMin < xMax/],
    ['seed not integer', () => linearSpec({ seed: 1.5 }), /seed must be an integer/],
    [
      'weights vs features',
      () => multilinearSpec({ weights: [1, 2], features: 3 }),
      /weights has 2 entries but features is 3/,
    ],
    [
      'features zero',
      () => multilinearSpec({ features: 0 }),
      /features must be an integer in \[1, 4096\]/,
    ],
    [
      'drift positions',
      () => driftSpec({ positions: [] }),
      /positions must hold one position per change/,
    ],
    ['unknown kind', () => createGenerator({ kind: 'sine' } as never), /source kind must be/],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
  it('restoreGenerator refuses a broken state with a coded error', () => {
    expect(() =>
      restoreGenerator({
        spec: linearSpec(),
        position: -1,
        random: { s: [1, 2, 3, 4], spare: null },
      }),
    ).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_CHECKPOINT_INVALID' }) as unknown as Error,
    );
  });
});
