import { createGenerator, linearSpec } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsContext, openNats } from './nats-context.js';
import { produce as produceInto } from './produce.js';
import { decodeSamples } from './sample-codec.js';
import { sessionNames } from './session-names.js';
import { ADAMFLOW, runNode } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'produce-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

const produce = async (session: string, seed: number, samples: number, ...flags: string[]) => {
  const args = ['produce', '--nats', server.url, '--session', session, '--source', 'seed'];
  const run = await runNode(ADAMFLOW, [
    ...args,
    '--seed',
    String(seed),
    '--samples',
    String(samples),
    '--json',
    ...flags,
  ]);
  return { ...run, result: run.code === 0 ? JSON.parse(run.stdout) : undefined };
};

/** Every sample in the session's stream, decoded, and the stream's message count. */
async function streamContents(session: string) {
  const names = sessionNames(session);
  const info = await nats.jsm.streams.info(names.stream);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let seq = 1; seq <= info.state.last_seq; seq++) {
    const batch = decodeSamples((await nats.jsm.streams.getMessage(names.stream, { seq }))!.data);
    xs.push(...batch.x);
    ys.push(...batch.y);
  }
  return { messages: info.state.messages, xs, ys };
}

function generated(seed: number, samples: number) {
  const batch = createGenerator(linearSpec({ seed })).nextBatch(samples);
  return { xs: Array.from(batch.x), ys: Array.from(batch.y) };
}

describe('adamflow produce', () => {
  it('is idempotent: running it again adds nothing, a larger N continues the source', async () => {
    const first = await produce('idem', 5, 1000);
    const again = await produce('idem', 5, 1000);
    const afterAgain = await streamContents('idem');
    const more = await produce('idem', 5, 1500);
    expect([first.result, again.result, more.result]).toEqual([
      { session: 'idem', samples: 1000, added: 1000, messages: 4, lastSequence: 4 },
      { session: 'idem', samples: 1000, added: 0, messages: 0, lastSequence: 4 },
      { session: 'idem', samples: 1500, added: 500, messages: 2, lastSequence: 6 },
    ]);
    expect(afterAgain.messages).toBe(4);
    const { messages, xs, ys } = await streamContents('idem');
    expect(messages).toBe(6);
    // Exactly the local generator's samples, in order (toEqual compares with Object.is).
    expect({ xs, ys }).toEqual(generated(5, 1500));
  });

  it('stamps each message with an id that JetStream deduplicates', async () => {
    await produce('dedup', 6, 512);
    const names = sessionNames('dedup');
    const stored = await nats.jsm.streams.getMessage(names.stream, { seq: 1 });
    expect(stored!.header.get('Nats-Msg-Id')).toBe('dedup:0:256');
    const ack = await nats.js.publish(names.subject, stored!.data, { msgID: 'dedup:0:256' });
    expect(ack.duplicate).toBe(true);
    expect((await nats.jsm.streams.info(names.stream)).state.messages).toBe(2);
  });

  it('keeps one copy of each sample when two producers race', async () => {
    const [a, b] = await Promise.all([produce('race', 7, 30_000), produce('race', 7, 30_000)]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(a.result.added + b.result.added).toBe(30_000);
    const { messages, xs, ys } = await streamContents('race');
    expect(messages).toBe(Math.ceil(30_000 / 256));
    expect({ xs, ys }).toEqual(generated(7, 30_000));
  });

  it('keeps the samples contiguous when producers with other message sizes race', async () => {
    // In one process, started together: their pipelined publishes meet at the server.
    const other = await openNats({ url: server.url, name: 'produce-test-other' });
    try {
      const spec = linearSpec({ seed: 9 });
      const [a, b] = await Promise.all([
        produceInto(nats, { session: 'race-sizes', spec, samples: 40_000 }),
        produceInto(other, { session: 'race-sizes', spec, samples: 40_000, batchSamples: 1000 }),
      ]);
      expect(a.added + b.added).toBe(40_000);
      const { xs, ys } = await streamContents('race-sizes');
      expect({ xs, ys }).toEqual(generated(9, 40_000));
    } finally {
      await other.close();
    }
  });

  it('refuses another source in the same session, with a stable code', async () => {
    await produce('owned', 1, 10);
    const other = await produce('owned', 2, 10);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('ADAMFLOW_ERR_SESSION_SOURCE_MISMATCH');
  });
});
