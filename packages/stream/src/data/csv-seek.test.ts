import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StreamError } from '../errors.js';
import { createCheckpoint, restoreCheckpoint } from '../evaluation/checkpoint.js';
import { progressiveValidation } from '../evaluation/progressive-validation.js';
import { createMetric } from '../metrics/create-metric.js';
import { logisticRegression } from '../model.js';
import { pipeline } from '../pipeline.js';
import { standardScaler } from '../preprocessing/standard-scaler.js';
import { fromCsv } from './from-csv.js';
import type { Row, StreamPosition } from './row.js';

const dir = mkdtempSync(join(tmpdir(), 'adamflow-seek-'));

/** A CSV file of `rows` rows from a seeded generator (mulberry32); some values quoted, CRLF optional. */
function dataFile(name: string, rows: number, newline = '\n'): string {
  let a = 7;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lines = ['"x 1",x2,x3,label'];
  for (let i = 0; i < rows; i++) {
    const [x1, x2, x3] = [random() * 4 - 2, random() * 10, random() - 0.5];
    const label = x1 + 0.3 * x2 - 1.5 + random() > 0 ? 1 : 0;
    lines.push(`${i % 7 === 0 ? `"${x1}"` : x1},${x2},${x3},${label}`);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join(newline)}${newline}`);
  return path;
}

const model = () =>
  pipeline({
    inputs: 3,
    stages: [standardScaler()],
    model: (features) => logisticRegression({ features }),
    optimizer: { name: 'adam', options: { lr: 0.05 }, interceptLr: 0.01 },
  });
const metrics = () => ['accuracy', 'logloss', 'rocauc'].map((name) => createMetric(name as never));

async function rowsOf(stream: AsyncIterable<Row>, limit = Number.POSITIVE_INFINITY) {
  const out: Row[] = [];
  for await (const row of stream) {
    out.push({ ...row, x: Array.from(row.x) });
    if (out.length === limit) break;
  }
  return out;
}

async function failure(promise: Promise<unknown>): Promise<StreamError> {
  try {
    await promise;
  } catch (error) {
    return error as StreamError;
  }
  throw new Error('expected a failure');
}

describe('fromCsv resumes a plain file at the byte offset of its position', () => {
  it('stopped, checkpointed and resumed: bitwise the uninterrupted run, reading only the rest', async () => {
    for (const newline of ['\n', '\r\n']) {
      const path = dataFile(`run${newline.length}.csv`, 3000, newline);
      const whole = model();
      const wholeMetrics = metrics();
      const full = await progressiveValidation(fromCsv(path, { target: 'label' }), whole, {
        metrics: wholeMetrics,
      });

      const first = fromCsv(path, { target: 'label' });
      const part = model();
      const partMetrics = metrics();
      await progressiveValidation(first, part, { metrics: partMetrics, limit: 2400 });
      const saved = JSON.parse(
        JSON.stringify(
          createCheckpoint(part, {
            metrics: partMetrics,
            samples: 2400,
            position: first.position(),
          }),
        ),
      );
      const restored = restoreCheckpoint(saved);
      const rest = fromCsv(path, { target: 'label', from: restored.position! });
      const report = await progressiveValidation(rest, restored.pipeline, {
        metrics: restored.metrics,
        samples: restored.samples,
      });

      expect(report).toEqual(full);
      expect(Array.from(restored.pipeline.params)).toEqual(Array.from(whole.params));
      expect(JSON.stringify(restored.pipeline.state())).toBe(JSON.stringify(whole.state()));
      // It opened the file at the offset: what it read is exactly the rest of the file.
      const size = statSync(path).size;
      expect(rest.bytesRead).toBe(size - restored.position!.byte!);
      expect(rest.position()).toMatchObject({ rows: 3000, byte: size, line: 3001 });
    }
  });

  it('rows after the offset keep their index and line numbers (errors name the true line)', async () => {
    const path = dataFile('lines.csv', 40);
    appendFileSync(path, '1,2,oops,0\n');
    const head = fromCsv(path, { target: 'label' });
    await rowsOf(head, 25);
    const from = head.position();
    const all = await rowsOf(fromCsv(path, { target: 'label' }), 40);
    expect(await rowsOf(fromCsv(path, { target: 'label', from: { rows: 25 } }), 15)).toEqual(
      all.slice(25),
    );
    // The file is unchanged since `from` was taken only up to the append: take it again.
    const error = await failure(rowsOf(fromCsv(path, { target: 'label', from })));
    expect([error.code, error.line, error.column]).toEqual(['ADAMFLOW_ERR_ROW_VALUE', 42, 'x3']);
    expect(
      (await rowsOf(fromCsv(path, { target: 'label', from }), 15)).map((r) => r.index),
    ).toEqual(all.slice(25).map((r) => r.index));
  });

  it('a file changed since the position is ADAMFLOW_ERR_SOURCE_CHANGED, before any row', async () => {
    const path = dataFile('changing.csv', 50);
    // A whole second, which utimes restores exactly (a file's own mtime has sub-ms digits).
    const time = 1_700_000_000;
    utimesSync(path, time, time);
    const head = fromCsv(path, { target: 'label' });
    await rowsOf(head, 20);
    const from = head.position();
    const original = readFileSync(path);
    const cases: [string, () => void, RegExp][] = [
      ['appended to', () => appendFileSync(path, '0,0,0,0\n'), /changed \(size \d+ -> \d+ bytes/],
      ['touched', () => utimesSync(path, time, time + 5), /modified/],
      [
        'another header, same size and time',
        () => {
          writeFileSync(path, Buffer.from(original.toString().replace('x2', 'x9')));
          utimesSync(path, time, time);
        },
        /has another header row/,
      ],
    ];
    for (const [, change, message] of cases) {
      writeFileSync(path, original);
      utimesSync(path, time, time);
      expect((await rowsOf(fromCsv(path, { target: 'label', from }), 1)).length).toBe(1);
      change();
      const error = await failure(rowsOf(fromCsv(path, { target: 'label', from })));
      expect(error.code).toBe('ADAMFLOW_ERR_SOURCE_CHANGED');
      expect(error.message).toMatch(message);
      expect(error.message).toContain('pass from: { rows: 20 }');
    }
    writeFileSync(path, original);
    utimesSync(path, time, time);
    const inside = { ...from, byte: from.byte! + 1 } as StreamPosition;
    const error = await failure(rowsOf(fromCsv(path, { target: 'label', from: inside })));
    expect([error.code, error.message]).toEqual([
      'ADAMFLOW_ERR_SOURCE_CHANGED',
      expect.stringContaining(`has no row starting at byte ${from.byte! + 1}`),
    ]);
  });

  it('a byte position without its line and file stamp is a TypeError saying what it needs', async () => {
    const path = dataFile('bare.csv', 5);
    const error = await failure(
      rowsOf(fromCsv(path, { target: 'label', from: { rows: 2, byte: 40 } })),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(
      /from.byte needs from.line .* and from.file \{ size, mtimeMs, header \}/,
    );
  });
});
