import { createHash, randomUUID } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { DistributedError } from './errors.js';
import { parseExact, stringifyExact } from './exact-json.js';
import type { NatsContext } from './nats-context.js';
import { CHECKPOINTS_BUCKET } from './session-names.js';

/**
 * What the KV entry holds when the checkpoint itself is in the object store: the
 * entry stays the commit point, the object is only ever read through it.
 */
export interface CheckpointPointer {
  format: 'adamflow.checkpoint-pointer';
  version: 1;
  bucket: string;
  /** The object's name, unique per write. */
  object: string;
  /** The object's length in bytes. */
  bytes: number;
  /** SHA-256 of the object, hex. */
  sha256: string;
}

/** Room left under the KV limit for the message's headers and the pointer's own growth. */
const HEADROOM = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const limits = new WeakMap<KV, Promise<number>>();

/**
 * The largest value the sessions bucket takes: its `maxValueSize` when set, else the
 * server's `max_payload` (read once per bucket handle).
 *
 * @param nats - an open context.
 * @returns bytes.
 * @example
 * ```ts
 * import { kvValueLimit } from './checkpoint-store.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * await kvValueLimit(nats); // 1048576 on a default server
 * ```
 */
export function kvValueLimit(nats: NatsContext): Promise<number> {
  let limit = limits.get(nats.kv);
  if (limit === undefined) {
    limit = nats.kv.status().then((status) => {
      const payload = nats.nc.info?.max_payload ?? 1024 * 1024;
      return status.maxValueSize > 0 ? Math.min(status.maxValueSize, payload) : payload;
    });
    limits.set(nats.kv, limit);
  }
  return limit;
}

/**
 * Reads a checkpoint entry: the value itself, or, when the entry is a pointer, the
 * object it names (checked against its length and SHA-256).
 *
 * @param nats - an open context.
 * @param key - the KV key.
 * @returns the parsed value and the entry's revision, or undefined when there is none.
 * @throws DistributedError `ADAMFLOW_ERR_CHECKPOINT_INVALID` when the value or its object cannot be read.
 * @example
 * ```ts
 * import { readCheckpointEntry } from './checkpoint-store.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * await readCheckpointEntry(nats, 'demo.checkpoint');
 * ```
 */
export async function readCheckpointEntry(
  nats: NatsContext,
  key: string,
): Promise<{ value: unknown; revision: number } | undefined> {
  const entry = await nats.kv.get(key);
  if (entry === null || entry.operation !== 'PUT') return undefined;
  const value = parse(key, entry.string());
  if ((value as CheckpointPointer)?.format !== 'adamflow.checkpoint-pointer') {
    return { value, revision: entry.revision };
  }
  const pointer = value as CheckpointPointer;
  const objects = await nats.objects();
  const bytes = await objects.getBlob(pointer.object);
  if (bytes === null) {
    throw invalid(key, `its object ${pointer.object} is missing from ${pointer.bucket}`);
  }
  if (bytes.byteLength !== pointer.bytes || sha256(bytes) !== pointer.sha256) {
    throw invalid(key, `its object ${pointer.object} does not match the digest in the entry`);
  }
  return { value: parse(key, decoder.decode(bytes)), revision: entry.revision };
}

/**
 * Writes a checkpoint entry only if it is still at `revision` (0: only if absent).
 * A value too large for KV goes to the object store first, under a name no other
 * write uses, and the entry then gets a pointer to it: the entry is the commit point,
 * so a crash between the two writes leaves the previous checkpoint in force (and an
 * orphan object). After a commit, every object of this key written from a revision
 * up to the one this write replaced is deleted: those are superseded checkpoints or
 * orphans whose commit can no longer succeed.
 *
 * @param nats - an open context.
 * @param key - the KV key.
 * @param value - the checkpoint (plain data; written as exact JSON).
 * @param revision - the revision this writer last wrote or read; 0 for none.
 * @returns the new revision.
 * @throws DistributedError `ADAMFLOW_ERR_LEASE_LOST` when the entry moved on (another writer).
 * @example
 * ```ts
 * import { writeCheckpointEntry } from './checkpoint-store.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * const revision = await writeCheckpointEntry(nats, 'demo.checkpoint', { step: 1 }, 0);
 * ```
 */
export async function writeCheckpointEntry(
  nats: NatsContext,
  key: string,
  value: unknown,
  revision: number,
): Promise<number> {
  const bytes = encoder.encode(stringifyExact(value));
  if (bytes.byteLength + HEADROOM <= (await kvValueLimit(nats))) {
    return commit(nats, key, bytes, revision);
  }
  const objects = await nats.objects();
  const name = `${key}.${String(revision).padStart(16, '0')}.${randomUUID().slice(0, 8)}`;
  await objects.putBlob({ name }, bytes);
  const pointer: CheckpointPointer = {
    format: 'adamflow.checkpoint-pointer',
    version: 1,
    bucket: CHECKPOINTS_BUCKET,
    object: name,
    bytes: bytes.byteLength,
    sha256: sha256(bytes),
  };
  const committed = await commit(nats, key, encoder.encode(stringifyExact(pointer)), revision);
  await removeSuperseded(nats, key, revision, name);
  return committed;
}

async function commit(
  nats: NatsContext,
  key: string,
  bytes: Uint8Array,
  revision: number,
): Promise<number> {
  try {
    return revision === 0
      ? await nats.kv.create(key, bytes)
      : await nats.kv.update(key, bytes, revision);
  } catch (error) {
    const message = String((error as Error)?.message);
    if (/wrong last sequence|key exists/i.test(message)) {
      throw new DistributedError(
        'ADAMFLOW_ERR_LEASE_LOST',
        `the checkpoint ${key} was written by another trainer (expected revision ${revision}); this one stops without writing`,
      );
    }
    throw error;
  }
}

/** Deletes this key's objects written from revisions up to `replaced`, except `keep`. */
async function removeSuperseded(
  nats: NatsContext,
  key: string,
  replaced: number,
  keep: string,
): Promise<void> {
  const objects = await nats.objects();
  const pattern = new RegExp(`^${key.replace(/[.]/g, '\\.')}\\.(\\d{16})\\.[0-9a-f]{8}$`);
  for (const info of await objects.list()) {
    const match = pattern.exec(info.name);
    if (match && info.name !== keep && Number(match[1]) <= replaced) {
      await objects.delete(info.name);
    }
  }
}

function parse(key: string, text: string): unknown {
  try {
    return parseExact(text);
  } catch (error) {
    throw invalid(key, (error as Error).message);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function invalid(key: string, why: string): DistributedError {
  return new DistributedError(
    'ADAMFLOW_ERR_CHECKPOINT_INVALID',
    `the checkpoint ${key} cannot be read (${why})`,
  );
}
