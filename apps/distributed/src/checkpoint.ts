import { createHash } from 'node:crypto';
import type { OptimizerName } from '@adamflow/core';
import type { LearnerState, SourceSpec } from '@adamflow/stream';
import { readCheckpointEntry, writeCheckpointEntry } from './checkpoint-store.js';
import { DistributedError } from './errors.js';
import { stringifyExact } from './exact-json.js';
import type { NatsContext } from './nats-context.js';
import type { SessionNames } from './session-names.js';

/** Everything that shapes a trainer's trajectory; its hash guards every resume. */
export interface TrainerConfig {
  source: SourceSpec;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  window: number;
}

/**
 * A trainer's checkpoint: its whole state together with the input position it
 * corresponds to, written atomically as one KV entry (the entry is the commit point).
 */
export interface TrainerCheckpoint {
  format: 'adamflow.trainer-checkpoint';
  version: 1;
  session: string;
  configHash: string;
  config: TrainerConfig;
  /** Creation time of the input stream the sequences refer to (a recreated stream is another history). */
  streamCreated: string;
  /** Incremented by every trainer that takes the session over: a fencing token. */
  epoch: number;
  /** The last stream sequence learned completely. */
  sequence: number;
  /** Samples of message `sequence + 1` already learned (non-zero only when `--until` stopped inside it). */
  offset: number;
  /** Samples learned in all. */
  samples: number;
  /** Optimizer steps. */
  step: number;
  learner: LearnerState;
  /** The trainer that wrote it. */
  owner: string;
  writtenAt: string;
}

/**
 * A configuration's hash (a {@link TrainerConfig} or the gradient trainer's): SHA-256 of its JSON with keys sorted.
 *
 * @param config - the trainer configuration.
 * @returns 64 hex digits.
 * @example
 * ```ts
 * import { linearSpec } from '@adamflow/stream';
 * import { configHash } from './checkpoint.js';
 * configHash({ source: linearSpec(), optimizer: 'adam', lr: 0.01, batchSize: 1, window: 100 }).length; // 64
 * ```
 */
export function configHash(config: object): string {
  return createHash('sha256').update(canonical(config)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return stringifyExact(value);
}

/**
 * Reads the session's checkpoint and the KV revision it is at (from the object store
 * when the entry points there).
 *
 * @param nats - an open context.
 * @param names - the session's names.
 * @returns the checkpoint and revision, or undefined when there is none.
 * @throws DistributedError `ADAMFLOW_ERR_CHECKPOINT_INVALID` when the entry is not a checkpoint,
 *   `ADAMFLOW_ERR_CONFIG_MISMATCH` when the session is trained from gradients.
 * @example
 * ```ts
 * import { openNats } from './nats-context.js';
 * import { readCheckpoint } from './checkpoint.js';
 * import { sessionNames } from './session-names.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * (await readCheckpoint(nats, sessionNames('demo')))?.checkpoint.samples;
 * ```
 */
export async function readCheckpoint(
  nats: NatsContext,
  names: SessionNames,
): Promise<{ checkpoint: TrainerCheckpoint; revision: number } | undefined> {
  const stored = await readCheckpointEntry(nats, names.checkpointKey);
  if (stored === undefined) return undefined;
  const checkpoint = stored.value as TrainerCheckpoint;
  if ((checkpoint as { format?: string })?.format === 'adamflow.gradient-checkpoint') {
    throw new DistributedError(
      'ADAMFLOW_ERR_CONFIG_MISMATCH',
      `session ${names.session} is trained from gradients; run \`adamflow trainer --gradients --session ${names.session}\`, or train another session`,
    );
  }
  if (checkpoint?.format !== 'adamflow.trainer-checkpoint' || checkpoint.version !== 1) {
    throw new DistributedError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `the checkpoint of session ${names.session} cannot be read (not an adamflow.trainer-checkpoint of version 1)`,
    );
  }
  return { checkpoint, revision: stored.revision };
}

/**
 * Writes a checkpoint only if the entry is still at `revision` (0: only if there is
 * none), so a trainer that was fenced off can never overwrite its successor's work.
 * One larger than a KV value may be goes to the object store, the entry pointing to it.
 *
 * @param nats - an open context.
 * @param names - the session's names.
 * @param checkpoint - the checkpoint.
 * @param revision - the revision this writer last wrote or read; 0 for none.
 * @returns the new revision.
 * @throws DistributedError `ADAMFLOW_ERR_LEASE_LOST` when another writer got there first.
 * @example
 * ```ts
 * import { writeCheckpoint, type TrainerCheckpoint } from './checkpoint.js';
 * import { openNats } from './nats-context.js';
 * import { sessionNames } from './session-names.js';
 * declare const checkpoint: TrainerCheckpoint;
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * const revision = await writeCheckpoint(nats, sessionNames('demo'), checkpoint, 0);
 * ```
 */
export function writeCheckpoint(
  nats: NatsContext,
  names: SessionNames,
  checkpoint: TrainerCheckpoint,
  revision: number,
): Promise<number> {
  return writeCheckpointEntry(nats, names.checkpointKey, checkpoint, revision);
}
