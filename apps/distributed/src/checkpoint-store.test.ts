import { linearSpec } from '@adamflow/stream';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { CheckpointPointer } from './checkpoint-store.js';
import { kvValueLimit } from './checkpoint-store.js';
import { stringifyExact } from './exact-json.js';
import { type NatsContext, openNats } from './nats-context.js';
import { produce } from './produce.js';
import { SESSIONS_BUCKET, sessionNames } from './session-names.js';
import { referenceRun } from './testing/reference.js';
import { ADAMFLOW, runNode } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';
import { runTrainer } from './trainer.js';

/** A KV value limit far below a checkpoint's size, so every checkpoint takes the object path. */
const MAX_VALUE_SIZE = 2048;

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  // The bucket exists before any command opens it, with a small value limit (as an
  // operator may configure it); the commands take the bucket as they find it.
  const nc = await connect({ servers: server.url });
  await new Kvm(jetstream(nc)).create(SESSIONS_BUCKET, {
    history: 5,
    maxValueSize: MAX_VALUE_SIZE,
  });
  await nc.close();
  nats = await openNats({ url: server.url, name: 'checkpoint-store-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );

/** The raw KV entry of the session's checkpoint, as JSON. */
async function rawEntry(session: string): Promise<CheckpointPointer> {
  const entry = await nats.kv.get(sessionNames(session).checkpointKey);
  return JSON.parse(entry!.string()) as CheckpointPointer;
}

async function objectNames(session: string): Promise<string[]> {
  const objects = await nats.objects();
  return (await objects.list())
    .map((info) => info.name)
    .filter((name) => name.startsWith(`${session}.`));
}

describe('checkpoints larger than a KV value', () => {
  it('go to the object store, the KV entry pointing to them, and read back whole', async () => {
    expect(await kvValueLimit(nats)).toBe(MAX_VALUE_SIZE);
    await produce(nats, { session: 'big', spec: linearSpec({ seed: 3 }), samples: 20_000 });
    await runTrainer(nats, {
      session: 'big',
      optimizer: 'adam',
      lr: 0.01,
      batchSize: 1,
      until: 20_000,
      checkpointSamples: 2048,
    });
    const stored = await readCheckpoint(nats, sessionNames('big'));
    // The path was needed: the checkpoint itself would not fit.
    expect(stringifyExact(stored!.checkpoint).length).toBeGreaterThan(MAX_VALUE_SIZE);
    expect(stored!.checkpoint.learner).toEqual(referenceRun({ seed: 3, samples: 20_000 }));
    const pointer = await rawEntry('big');
    expect(pointer).toMatchObject({
      format: 'adamflow.checkpoint-pointer',
      bucket: 'adamflow-checkpoints',
    });
    // Ten checkpoints were written; only the one in force is left.
    expect(await objectNames('big')).toEqual([pointer.object]);
    // The commands read it too.
    const inspected = await runNode(ADAMFLOW, [
      ...['inspect', '--json', '--nats', server.url, '--session', 'big'],
    ]);
    expect(JSON.parse(inspected.stdout)).toEqual({
      samples: 20_000,
      step: 20_000,
      params: stored!.checkpoint.learner.params,
    });
  });

  it('a crash between the object write and the KV write leaves the previous checkpoint in force', async () => {
    const names = sessionNames('big');
    const before = (await readCheckpoint(nats, names))!;
    const pointer = await rawEntry('big');
    // A writer whose commit fails after its object is stored (a fenced-off trainer,
    // or one killed between the two writes): the entry stays as it was.
    const changed = { ...before.checkpoint, samples: before.checkpoint.samples + 1 };
    const failed = await codeOf(writeCheckpoint(nats, names, changed, before.revision - 1));
    expect(failed).toBe('ADAMFLOW_ERR_LEASE_LOST');
    const after = (await readCheckpoint(nats, names))!;
    expect(after).toEqual(before);
    const orphans = (await objectNames('big')).filter((name) => name !== pointer.object);
    expect(orphans).toHaveLength(1);
    // The next committed write supersedes both the old object and the orphan.
    const revision = await writeCheckpoint(nats, names, changed, before.revision);
    const next = await rawEntry('big');
    expect(await objectNames('big')).toEqual([next.object]);
    expect(await readCheckpoint(nats, names)).toEqual({ checkpoint: changed, revision });
  });

  it('an object that does not match its digest is refused with a code', async () => {
    const pointer = await rawEntry('big');
    const objects = await nats.objects();
    const text = new TextDecoder().decode((await objects.getBlob(pointer.object))!);
    // Still a well-formed checkpoint of the same length: only the digest tells.
    const tampered = text.replace(
      /"samples":(\d)/,
      (_, digit: string) => `"samples":${(Number(digit) + 1) % 10}`,
    );
    expect(tampered).not.toBe(text);
    await objects.putBlob({ name: pointer.object }, new TextEncoder().encode(tampered));
    expect(await codeOf(readCheckpoint(nats, sessionNames('big')))).toBe(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
    );
  });
});
