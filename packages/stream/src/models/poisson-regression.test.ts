import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromCsv } from '../data/from-csv.js';
import { fromNdjson } from '../data/from-ndjson.js';
import type { StreamError } from '../errors.js';
import { pipeline } from '../pipeline.js';
import { standardScaler } from '../preprocessing/standard-scaler.js';
import { poissonRegression } from './poisson-regression.js';

describe('poissonRegression', () => {
  it("predicts exp(eta); its loss is River's Poisson loss exp(eta) - y eta", () => {
    const model = poissonRegression({ features: 2 });
    const out = new Float64Array(model.bufferSize);
    const params = [0.5, -1, 0.25];
    const x = [0.3, 2];
    const eta = 0.5 - 0.3 + 0.5;
    const mu = model.predict(params, x, 0, out);
    expect(mu).toBe(Math.exp(eta));
    expect(model.loss(mu, 3, out)).toBe(Math.exp(eta) - 3 * eta);
    const grad = new Float64Array(3);
    model.accumulateGradient(params, x, 0, 3, mu, grad, 1, out);
    expect(Array.from(grad)).toEqual([mu - 3, (mu - 3) * 0.3, (mu - 3) * 2]);
  });
});

describe('poissonRegression targets', () => {
  it('checkTarget accepts counts (finite numbers >= 0) and names what it needs otherwise', () => {
    const model = poissonRegression({ features: 1 });
    const verdicts = [0, 3, 2.5, 1e300, -1, -1e-300, Number.NaN, Number.POSITIVE_INFINITY].map(
      (y) => model.checkTarget?.(y) ?? null,
    );
    const needs = 'a count, a finite number >= 0';
    expect(verdicts).toEqual([null, null, null, null, needs, needs, needs, needs]);
  });

  it('a pipeline refuses a negative count naming the row, state unchanged; the next row learns', () => {
    const model = pipeline({
      inputs: 1,
      stages: [standardScaler()],
      model: (features) => poissonRegression({ features }),
      optimizer: { name: 'sgd', options: { lr: 0.1 } },
    });
    model.learn({ x: [1], y: 2, index: 0 });
    model.learn({ x: [3], y: 5, index: 1 });
    const before = JSON.stringify(model.state());
    for (const y of [-1, Number.NaN]) {
      let error: StreamError | undefined;
      try {
        model.learn({ x: [100], y, index: 2 });
      } catch (e) {
        error = e as StreamError;
      }
      expect([error?.code, error?.message]).toEqual([
        'ADAMFLOW_ERR_MALFORMED_SAMPLE',
        `pipeline: row 2 has target ${y}, but poisson-regression needs a count, a finite number >= 0`,
      ]);
      expect(JSON.stringify(model.state())).toBe(before);
    }
    model.learn({ x: [2], y: 0, index: 3 });
    expect(JSON.stringify(model.state())).not.toBe(before);
  });

  it("fromCsv({ checkTarget }) reports a negative count's line and column, or skips it", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'adamflow-poisson-')), 'counts.csv');
    writeFileSync(path, 'x,n\n1,2\n2,-1\n3,4\n');
    const checkTarget = poissonRegression().checkTarget!;
    let error: StreamError | undefined;
    try {
      for await (const _ of fromCsv(path, { target: 'n', checkTarget })) {
        // reading is the test
      }
    } catch (e) {
      error = e as StreamError;
    }
    expect([error?.code, error?.line, error?.column, error?.message]).toEqual([
      'ADAMFLOW_ERR_ROW_VALUE',
      3,
      'n',
      'CSV line 3, column "n": expected a count, a finite number >= 0, got "-1"',
    ]);
    const rows = fromCsv(path, { target: 'n', checkTarget, onBadRow: 'skip' });
    const ys: number[] = [];
    for await (const row of rows) ys.push(row.y);
    expect([ys, rows.skipped]).toEqual([[2, 4], 1]);
  });

  it('fromNdjson({ checkTarget }) does the same with a line and key', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'adamflow-poisson-')), 'counts.ndjson');
    writeFileSync(path, '{"x":1,"n":2}\n{"x":2,"n":-0.5}\n{"x":3,"n":4}\n');
    const checkTarget = poissonRegression().checkTarget!;
    const rows = fromNdjson(path, { target: 'n', checkTarget, onBadRow: 'skip' });
    const ys: number[] = [];
    for await (const row of rows) ys.push(row.y);
    expect([ys, rows.skipped]).toEqual([[2, 4], 1]);
    let error: StreamError | undefined;
    try {
      for await (const _ of fromNdjson(path, { target: 'n', checkTarget })) {
        // reading is the test
      }
    } catch (e) {
      error = e as StreamError;
    }
    expect([error?.code, error?.message]).toEqual([
      'ADAMFLOW_ERR_ROW_VALUE',
      'NDJSON line 2, key "n": expected a count, a finite number >= 0, got -0.5',
    ]);
  });
});
