import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { type Options, parse } from 'csv-parse';
import { StreamError } from '../errors.js';
import type { FileStamp, StreamPosition } from './row.js';

/**
 * Where a resume opens a plain CSV file, checked against the file as it is now.
 * @internal
 */
export interface CsvSeek {
  /** Byte offset of the first row to read. */
  byte: number;
  /** Lines before that offset (the header is line 1). */
  line: number;
  /** The header row's fields. */
  header: string[];
  /** The file as it is (and was). */
  stamp: FileStamp;
}

/**
 * SHA-256 (hex) of a header row's fields: a change of name, order or count changes it.
 * @internal
 */
export function headerDigest(fields: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * The parser options both the reader and the header check use, so that both see the
 * same records. With `info`, each record comes with the bytes parsed up to its end.
 * @internal
 */
export function csvParserOptions(delimiter: string, info: boolean): Options {
  return {
    delimiter,
    bom: true,
    info,
    relax_column_count: true,
    // Empty lines arrive as [''] and are skipped by the reader, so they still count as lines.
    skip_empty_lines: false,
  };
}

/**
 * Size and modification time of a file, with its header's digest.
 * @internal
 */
export async function stampOf(path: string, header: readonly string[]): Promise<FileStamp> {
  const stats = await stat(path);
  return { size: stats.size, mtimeMs: stats.mtimeMs, header: headerDigest(header) };
}

/**
 * Checks a saved position against the file and says where to open it: the file must
 * have the size, modification time and header it had (`ADAMFLOW_ERR_SOURCE_CHANGED`
 * otherwise), and the offset must start a row.
 * @internal
 */
export async function seekTo(
  path: string,
  from: StreamPosition,
  delimiter: string,
): Promise<CsvSeek> {
  const { byte, line, file } = checkSeek(from);
  const stats = await stat(path);
  const changed = (what: string): StreamError =>
    new StreamError(
      'ADAMFLOW_ERR_SOURCE_CHANGED',
      `fromCsv: ${path} ${what} since its position was taken (row ${from.rows}, byte ${byte}); resume on the file as it was, or pass from: { rows: ${from.rows} } to read its first ${from.rows} rows again and skip them`,
    );
  if (stats.size !== file.size || stats.mtimeMs !== file.mtimeMs) {
    throw changed(
      `changed (size ${file.size} -> ${stats.size} bytes, modified ${new Date(file.mtimeMs).toISOString()} -> ${new Date(stats.mtimeMs).toISOString()})`,
    );
  }
  const header = await readHeader(path, delimiter);
  if (header === null || headerDigest(header.fields) !== file.header) {
    throw changed('has another header row');
  }
  if (byte < header.bytes || byte > stats.size || !(await startsRow(path, byte, stats.size))) {
    throw changed(`has no row starting at byte ${byte}`);
  }
  return { byte, line, header: header.fields, stamp: file };
}

/** The byte fields of a position, validated (a TypeError names what is wrong). */
function checkSeek(from: StreamPosition): { byte: number; line: number; file: FileStamp } {
  const { byte, line, file } = from;
  const count = (value: unknown, min: number) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
  const stamp = file as Partial<FileStamp> | undefined;
  if (
    !count(byte, 0) ||
    !count(line, from.rows + 1) ||
    typeof stamp !== 'object' ||
    stamp === null ||
    !count(stamp.size, 0) ||
    typeof stamp.mtimeMs !== 'number' ||
    typeof stamp.header !== 'string'
  ) {
    throw new TypeError(
      `fromCsv: from.byte needs from.line (an integer > rows) and from.file { size, mtimeMs, header } as stream.position() gives them, got ${JSON.stringify(from)}`,
    );
  }
  return { byte: byte!, line: line!, file: stamp as FileStamp };
}

/** The first record of the file and the bytes it spans, or null for an empty file. */
function readHeader(
  path: string,
  delimiter: string,
): Promise<{ fields: string[]; bytes: number } | null> {
  return new Promise((resolve, reject) => {
    const source = createReadStream(path);
    const parser = parse(csvParserOptions(delimiter, true));
    let settled = false;
    const settle = (value: { fields: string[]; bytes: number } | null, error?: unknown) => {
      if (settled) return;
      settled = true;
      source.destroy();
      parser.destroy();
      if (error !== undefined) reject(error);
      else resolve(value);
    };
    parser.on('readable', () => {
      const item = parser.read() as { record: string[]; info: { bytes: number } } | null;
      if (item !== null) settle({ fields: item.record, bytes: item.info.bytes });
    });
    parser.on('end', () => settle(null));
    parser.on('error', (error) => settle(null, error));
    source.on('error', (error) => settle(null, error));
    source.pipe(parser);
  });
}

/** Whether `byte` starts a record: the end of the file, or just after a newline. */
async function startsRow(path: string, byte: number, size: number): Promise<boolean> {
  if (byte === size) return true;
  const handle = await open(path, 'r');
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, byte - 1);
    return one[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** Bytes read per call when scanning for line ends. */
const SCAN_CHUNK = 1 << 16;

/**
 * The byte offset just after the `line`-th newline of a file (its size if the file has
 * fewer), scanning on from a known (line, offset) pair. A reader counts the lines its
 * records span, so this turns its count into the offset of the next record without the
 * parser reporting bytes per record (csv-parse's `info` doubled the parse time). Each
 * call reads only the bytes after `known`; the reader's checkpoints move `known` along.
 * @internal
 */
export function offsetOfLine(
  path: string,
  known: { line: number; byte: number },
  line: number,
): number {
  let missing = line - known.line;
  let byte = known.byte;
  if (missing <= 0) return byte;
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(SCAN_CHUNK);
    for (;;) {
      const read = readSync(fd, chunk, 0, SCAN_CHUNK, byte);
      if (read === 0) return byte;
      let at = chunk.indexOf(0x0a);
      while (at !== -1 && at < read) {
        missing--;
        if (missing === 0) return byte + at + 1;
        at = chunk.indexOf(0x0a, at + 1);
      }
      byte += read;
    }
  } finally {
    closeSync(fd);
  }
}
