import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { StreamError } from '../errors.js';
import { fromCsv } from './from-csv.js';
import { LabelEncoder } from './label-encoder.js';
import type { Row } from './row.js';

const dir = mkdtempSync(join(tmpdir(), 'adamflow-csv-'));
function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
async function collect(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of rows) out.push({ ...row, x: Array.from(row.x) });
  return out;
}
async function failure(rows: AsyncIterable<Row>): Promise<StreamError> {
  try {
    await collect(rows);
  } catch (error) {
    return error as StreamError;
  }
  throw new Error('expected the stream to fail');
}

const TEXT = 'a,b,label\n1,2.5,1\n-3,4e2,0\n\n0,0,1\n';

describe('fromCsv', () => {
  it('reads numeric features (all but the target, in file order) and a numeric target', async () => {
    const rows = fromCsv(file('plain.csv', TEXT), { target: 'label' });
    expect(await collect(rows)).toEqual([
      { x: [1, 2.5], y: 1, index: 0 },
      { x: [-3, 400], y: 0, index: 1 },
      { x: [0, 0], y: 1, index: 2 },
    ]);
    expect(rows.features).toEqual(['a', 'b']);
    // The last row ends the file (34 bytes); an empty line makes it line 5.
    expect(rows.position()).toMatchObject({ rows: 3, byte: 34, line: 5 });
  });

  it('target null reads unlabelled rows: every column a feature, y NaN', async () => {
    const rows = await collect(fromCsv(file('u.csv', 'a,b\n1,2\n'), { target: null }));
    expect(rows).toEqual([{ x: [1, 2], y: Number.NaN, index: 0 }]);
  });

  it('gunzips a .gz path and reads a Readable', async () => {
    const plain = await collect(fromCsv(file('plain.csv', TEXT), { target: 'label' }));
    expect(await collect(fromCsv(file('g.csv.gz', gzipSync(TEXT)), { target: 'label' }))).toEqual(
      plain,
    );
    expect(
      await collect(fromCsv(Readable.from([TEXT.slice(0, 9), TEXT.slice(9)]), { target: 'label' })),
    ).toEqual(plain);
  });

  it('picks and orders features, keeps categorical ones as text', async () => {
    const text = 'color,size,price\nred,2,10\nblue,3,12\n';
    const rows = fromCsv(file('cat.csv', text), {
      target: 'price',
      features: ['size', 'color'],
      categorical: ['color'],
    });
    expect((await collect(rows)).map((r) => r.x)).toEqual([
      [2, 'red'],
      [3, 'blue'],
    ]);
  });

  it('reads boolean and category targets; the encoder continues from a checkpoint', async () => {
    const text = 'x,t\n1,yes\n2,false\n3,TRUE\n';
    expect(
      (await collect(fromCsv(file('b.csv', text), { target: 't', targetType: 'boolean' }))).map(
        (r) => r.y,
      ),
    ).toEqual([1, 0, 1]);
    const labels = new LabelEncoder();
    labels.encode('dog');
    const rows = fromCsv(file('c.csv', 'x,t\n1,cat\n2,dog\n3,cat\n'), {
      target: 't',
      targetType: 'category',
      labels,
    });
    expect((await collect(rows)).map((r) => r.y)).toEqual([1, 0, 1]);
    expect(rows.labels?.classes).toEqual(['dog', 'cat']);
  });

  it.each([
    ['4,5', 2],
    ['4,5,6,7', 4],
  ])('a row %j is ADAMFLOW_ERR_ROW_LENGTH naming its line', async (row, count) => {
    const error = await failure(
      fromCsv(file('len.csv', `a,b,y\n1,2,3\n${row}\n`), { target: 'y' }),
    );
    expect(error).toBeInstanceOf(StreamError);
    expect(error.code).toBe('ADAMFLOW_ERR_ROW_LENGTH');
    expect(error.line).toBe(3);
    expect(error.message).toContain(`line 3: ${count} columns, but the header has 3`);
  });

  it.each([
    ['abc', 'b'],
    ['', 'b'],
    ['NaN', 'b'],
    ['Infinity', 'b'],
  ])(
    'a non-number %j is ADAMFLOW_ERR_ROW_VALUE naming line and column, never NaN',
    async (bad, column) => {
      const error = await failure(
        fromCsv(file('val.csv', `a,b,y\n1,2,3\n4,${bad},6\n`), { target: 'y' }),
      );
      expect(error.code).toBe('ADAMFLOW_ERR_ROW_VALUE');
      expect([error.line, error.column]).toEqual([3, column]);
      expect(error.message).toContain(
        `column "${column}": expected a finite number, got ${JSON.stringify(bad)}`,
      );
    },
  );

  it('line numbers count empty lines and quoted values that span lines', async () => {
    const text = 'c,y\n"multi\nline",1\n\nred,oops\n';
    const error = await failure(
      fromCsv(file('lines.csv', text), { target: 'y', categorical: ['c'] }),
    );
    expect([error.code, error.line]).toEqual(['ADAMFLOW_ERR_ROW_VALUE', 5]);
  });

  it('a bad target is ADAMFLOW_ERR_ROW_VALUE naming the target column', async () => {
    const error = await failure(
      fromCsv(file('t.csv', 'a,y\n1,maybe\n'), { target: 'y', targetType: 'boolean' }),
    );
    expect([error.code, error.line, error.column]).toEqual(['ADAMFLOW_ERR_ROW_VALUE', 2, 'y']);
  });

  it("onBadRow: 'skip' skips and counts bad rows, reports each, and keeps line numbers", async () => {
    const skipped: StreamError[] = [];
    const rows = fromCsv(file('skip.csv', 'a,y\n1,1\nx,0\n2\n3,1\n'), {
      target: 'y',
      onBadRow: 'skip',
      onSkip: (e) => skipped.push(e),
    });
    expect((await collect(rows)).map((r) => [r.x[0], r.index])).toEqual([
      [1, 0],
      [3, 3],
    ]);
    expect(rows.skipped).toBe(2);
    expect(skipped.map((e) => [e.code, e.line])).toEqual([
      ['ADAMFLOW_ERR_ROW_VALUE', 3],
      ['ADAMFLOW_ERR_ROW_LENGTH', 4],
    ]);
    expect(rows.position()).toMatchObject({ rows: 4, byte: 18, line: 5 });
  });

  it('resumes after the rows a position counts (plain and gzip)', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `${i},${i % 2}`);
    const text = `v,y\n${lines.join('\n')}\n`;
    for (const path of [file('r.csv', text), file('r.csv.gz', gzipSync(text))]) {
      const all = await collect(fromCsv(path, { target: 'y' }));
      const first = fromCsv(path, { target: 'y' });
      const head: Row[] = [];
      for await (const row of first) {
        head.push({ ...row, x: Array.from(row.x) });
        if (head.length === 17) break;
      }
      const tail = await collect(fromCsv(path, { target: 'y', from: first.position() }));
      expect([...head, ...tail]).toEqual(all);
    }
  });

  it('an unknown column and a CSV syntax error are coded', async () => {
    const unknown = await failure(fromCsv(file('u.csv', 'a,b\n1,2\n'), { target: 'y' }));
    expect(unknown.code).toBe('ADAMFLOW_ERR_COLUMN_UNKNOWN');
    expect(unknown.message).toContain('"y" is not in the header (a, b)');
    const syntax = await failure(fromCsv(file('q.csv', 'a,y\n"1,2\n'), { target: 'y' }));
    expect(syntax.code).toBe('ADAMFLOW_ERR_DATA_SYNTAX');
  });

  it('a missing file fails with the system error', async () => {
    const error = await failure(fromCsv(join(dir, 'absent.csv'), { target: 'y' }));
    expect((error as unknown as { code: string }).code).toBe('ENOENT');
  });

  it('misuse throws a TypeError saying what to pass', () => {
    expect(() => fromCsv('x.csv', {} as never)).toThrow(
      /options.target must name the target column/,
    );
    expect(() => fromCsv('x.csv', { target: 'y', onBadRow: 'ignore' as never })).toThrow(
      /onBadRow must be 'throw' or 'skip'/,
    );
    expect(() => fromCsv('x.csv', { target: 'y', from: { rows: -1 } })).toThrow(
      /from must be a position/,
    );
  });
});
