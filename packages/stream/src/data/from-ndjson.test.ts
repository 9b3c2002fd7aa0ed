import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StreamError } from '../errors.js';
import { fromNdjson } from './from-ndjson.js';
import type { Row } from './row.js';

const dir = mkdtempSync(join(tmpdir(), 'adamflow-ndjson-'));
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

const TEXT = '{"a":1,"b":2,"y":"cat"}\n\n{"b":4,"a":3,"y":"dog"}\n{"a":5,"b":6,"y":"cat"}\n';

describe('fromNdjson', () => {
  it('reads objects by key (order of the first row), .gz too; category targets', async () => {
    const expected = [
      { x: [1, 2], y: 0, index: 0 },
      { x: [3, 4], y: 1, index: 1 },
      { x: [5, 6], y: 0, index: 2 },
    ];
    for (const path of [file('a.ndjson', TEXT), file('a.ndjson.gz', gzipSync(TEXT))]) {
      const rows = fromNdjson(path, { target: 'y', targetType: 'category' });
      expect(await collect(rows)).toEqual(expected);
      expect(rows.labels?.classes).toEqual(['cat', 'dog']);
    }
  });

  it.each([
    ['{"a":1,"b":"2","y":0}', 'ADAMFLOW_ERR_ROW_VALUE', 'b'],
    ['{"a":1,"y":0}', 'ADAMFLOW_ERR_ROW_LENGTH', 'b'],
    ['{"a":1,"b":2}', 'ADAMFLOW_ERR_ROW_LENGTH', 'y'],
    ['{"a":1,', 'ADAMFLOW_ERR_DATA_SYNTAX', undefined],
  ])('bad line %s is %s naming the line and key', async (bad, code, key) => {
    const path = file('bad.ndjson', `{"a":1,"b":2,"y":0}\n${bad}\n`);
    await expect(collect(fromNdjson(path, { target: 'y' }))).rejects.toMatchObject({
      code,
      line: 2,
      column: key,
    });
    const skipped: StreamError[] = [];
    const rows = fromNdjson(path, {
      target: 'y',
      onBadRow: 'skip',
      onSkip: (e) => skipped.push(e),
    });
    expect(await collect(rows)).toHaveLength(1);
    expect([rows.skipped, skipped[0]?.code]).toEqual([1, code]);
  });

  it('resumes after the rows a position counts', async () => {
    const path = file('r.ndjson', TEXT);
    const first = fromNdjson(path, { target: 'y', targetType: 'category' });
    for await (const _ of first) break;
    const tail = await collect(
      fromNdjson(path, { target: 'y', targetType: 'category', from: first.position() }),
    );
    expect(tail.map((r) => r.x)).toEqual([
      [3, 4],
      [5, 6],
    ]);
  });
});
