import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fromIterable } from './from-iterable.js';
import type { Row } from './row.js';

function* rows(n: number): Generator<Row> {
  for (let i = 0; i < n; i++) yield { x: [i], y: 2 * i };
}
async function ys(source: AsyncIterable<Row>): Promise<number[]> {
  const out: number[] = [];
  for await (const row of source) out.push(row.y);
  return out;
}

describe('fromIterable', () => {
  it('wraps an iterable, an async iterable and an object-mode Readable alike', async () => {
    async function* later() {
      yield* rows(3);
    }
    for (const source of [rows(3), later(), Readable.from(rows(3))]) {
      expect(await ys(fromIterable(source))).toEqual([0, 2, 4]);
    }
  });

  it('counts its position and resumes after it; a generator is pulled only as far as read', async () => {
    let pulled = 0;
    function* counted() {
      for (const row of rows(10)) {
        pulled++;
        yield row;
      }
    }
    const stream = fromIterable(counted());
    for await (const row of stream) if (row.y === 6) break;
    expect([stream.position(), pulled]).toEqual([{ rows: 4 }, 4]);
    expect(await ys(fromIterable(rows(10), { from: stream.position() }))).toEqual([
      8, 10, 12, 14, 16, 18,
    ]);
  });

  it('refuses what is not iterable', () => {
    expect(() => fromIterable(42 as never)).toThrow(/source must be an iterable/);
  });
});
