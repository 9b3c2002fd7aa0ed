import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { linearSpec } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsContext, openNats } from './nats-context.js';
import { produce } from './produce.js';
import { decodeSamples } from './sample-codec.js';
import type * as ReaderModule from './sample-reader.js';
import { sessionNames } from './session-names.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

// The reader's thread runs the built worker script, so the built reader is tested.
const BUILT = join(dirname(fileURLToPath(import.meta.url)), '../dist/sample-reader.js');

let server: NatsServerHandle;
let nats: NatsContext;
let SampleReader: typeof ReaderModule.SampleReader;

const MESSAGES = 200;
const MESSAGE_SAMPLES = 4096;
const KIB = 1024;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'sample-reader-test' });
  ({ SampleReader } = (await import(pathToFileURL(BUILT).href)) as typeof ReaderModule);
  await produce(nats, {
    session: 'reader',
    spec: linearSpec({ seed: 9 }),
    samples: MESSAGES * MESSAGE_SAMPLES,
    batchSamples: MESSAGE_SAMPLES,
  });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

const stream = sessionNames('reader').stream;

describe('SampleReader', () => {
  it('holds at most maxBytes plus a chunk while the reading side waits, then delivers every message in order', async () => {
    const reader = SampleReader.open({
      url: server.url,
      stream,
      maxBytes: 256 * KIB,
      chunkBytes: 128 * KIB,
    });
    const failures: Error[] = [];
    reader.onFailure((error) => failures.push(error));
    await reader.start(1);
    const iterator = reader[Symbol.asyncIterator]();
    const first = await iterator.next();
    // The reading side now learns nothing; wait until the thread stops handing over.
    let held = -1;
    for (let tries = 0; tries < 50 && held !== reader.heldBytes; tries++) {
      held = reader.heldBytes;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const seen = [first.value!.seq];
    const starts = [decodeSamples(first.value!.data).start];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      seen.push(next.value.seq);
      starts.push(decodeSamples(next.value.data).start);
      if (next.value.seq === MESSAGES) break;
    }
    await reader.stop();
    const bytesPerMessage = 24 + 16 * MESSAGE_SAMPLES;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(256 * KIB + 2 * bytesPerMessage);
    expect(seen).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    expect(starts).toEqual(Array.from({ length: MESSAGES }, (_, i) => i * MESSAGE_SAMPLES));
    expect(failures).toEqual([]);
  });

  it('starts at the sequence asked for', async () => {
    const reader = SampleReader.open({ url: server.url, stream });
    await reader.start(150);
    const seen: number[] = [];
    for await (const message of reader) {
      seen.push(message.seq);
      if (seen.length === 3) break;
    }
    await reader.stop();
    expect(seen).toEqual([150, 151, 152]);
  });

  it('leaves no thread behind: a process that stops its reader exits by itself', async () => {
    // Stopped while its thread waits for room (nothing is learned), and once more after a full read.
    const script = `
      import { SampleReader } from ${JSON.stringify(pathToFileURL(BUILT).href)};
      const open = () => {
        const reader = SampleReader.open({ url: ${JSON.stringify(server.url)}, stream: ${JSON.stringify(stream)}, maxBytes: 65536, chunkBytes: 65536 });
        reader.onFailure((error) => console.error(error.message));
        return reader;
      };
      const blocked = open();
      await blocked.start(1);
      await blocked[Symbol.asyncIterator]().next();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await blocked.stop();
      const read = open();
      await read.start(1);
      let count = 0;
      for await (const message of read) if (++count === ${MESSAGES}) break;
      await read.stop();
      console.log(count);
    `;
    // A file, not `--eval`: worker threads inherit the process's flags (`--input-type` too).
    const file = join(mkdtempSync(join(tmpdir(), 'adamflow-reader-')), 'read.mjs');
    writeFileSync(file, script);
    const child = spawn(process.execPath, [file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Only a hang is caught here: 60 s is far beyond the time it takes.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    clearTimeout(timer);
    expect([code, signal, stdout.trim(), stderr]).toEqual([0, null, String(MESSAGES), '']);
  });

  it('ends with ADAMFLOW_ERR_NATS_DISCONNECTED when its connection is lost', async () => {
    const reader = SampleReader.open({ url: server.url, stream, maxBytes: 65536 });
    const failed = new Promise<Error>((resolve) => reader.onFailure(resolve));
    await reader.start(1);
    await reader[Symbol.asyncIterator]().next();
    await server.restart();
    const error = (await failed) as Error & { code?: string };
    await reader.stop();
    expect(error.code).toBe('ADAMFLOW_ERR_NATS_DISCONNECTED');
  });

  it('refuses sizes below 1 KiB, saying which', () => {
    expect(() => SampleReader.open({ url: server.url, stream, maxBytes: 10 })).toThrow(
      'maxBytes must be an integer >= 1024 (bytes), got 10',
    );
  });
});
