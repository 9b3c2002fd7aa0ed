import type { OptimizerName, OptimizerState } from '@adamflow/core';
import type { ModelSpec, SourceSpec } from '@adamflow/stream';
import { readCheckpointEntry, writeCheckpointEntry } from './checkpoint-store.js';
import { DistributedError } from './errors.js';
import type { NatsContext } from './nats-context.js';
import type { SessionNames } from './session-names.js';

/** Everything that shapes a gradient trainer's trajectory; its hash guards every resume. */
export interface GradientTrainerConfig {
  mode: 'gradients';
  source: SourceSpec;
  /** The model trained (the source's own, or an MLP). */
  model: ModelSpec;
  optimizer: OptimizerName;
  lr: number;
  /** Gradients computed more than this many steps ago are rejected. */
  maxStaleness: number;
}

/** What the gradient trainer has done with the gradients it consumed. */
export interface GradientCounts {
  /** Gradients applied (one optimizer step each). */
  applied: number;
  /** Gradients rejected as staler than `maxStaleness`. */
  stale: number;
  /** Gradients rejected as unusable (wrong length, not finite, or from a later version). */
  invalid: number;
  /** Samples averaged by every gradient consumed (applied or rejected). */
  consumedSamples: number;
}

/**
 * A gradient trainer's checkpoint: the optimizer's whole state, the counts and the
 * gradient stream sequence they correspond to, one KV entry (the commit point).
 */
export interface GradientCheckpoint extends GradientCounts {
  format: 'adamflow.gradient-checkpoint';
  version: 1;
  session: string;
  configHash: string;
  config: GradientTrainerConfig;
  /** Creation time of the gradient stream the sequences refer to. */
  streamCreated: string;
  /** Incremented by every trainer that takes the session over: a fencing token. */
  epoch: number;
  /** The last gradient stream sequence consumed. */
  sequence: number;
  /** Samples averaged by the applied gradients. */
  samples: number;
  /** Optimizer steps (the parameter version). */
  step: number;
  /** Debiased EMA (β 0.99) of the applied gradients' mean losses, and its weight. */
  loss: { ema: number; weight: number };
  params: number[];
  optimizer: OptimizerState;
  owner: string;
  writtenAt: string;
}

/**
 * Reads the session's gradient checkpoint and its KV revision.
 *
 * @param nats - an open context.
 * @param names - the session's names.
 * @returns the checkpoint and revision, or undefined when there is none.
 * @throws DistributedError `ADAMFLOW_ERR_CONFIG_MISMATCH` when the session is trained from samples,
 *   `ADAMFLOW_ERR_CHECKPOINT_INVALID` when the entry is not a checkpoint.
 * @example
 * ```ts
 * import { readGradientCheckpoint } from './gradient-checkpoint.js';
 * import { openNats } from './nats-context.js';
 * import { sessionNames } from './session-names.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * (await readGradientCheckpoint(nats, sessionNames('demo')))?.checkpoint.stale;
 * ```
 */
export async function readGradientCheckpoint(
  nats: NatsContext,
  names: SessionNames,
): Promise<{ checkpoint: GradientCheckpoint; revision: number } | undefined> {
  const stored = await readCheckpointEntry(nats, names.checkpointKey);
  if (stored === undefined) return undefined;
  const checkpoint = stored.value as GradientCheckpoint;
  if ((checkpoint as { format?: string })?.format === 'adamflow.trainer-checkpoint') {
    throw new DistributedError(
      'ADAMFLOW_ERR_CONFIG_MISMATCH',
      `session ${names.session} is trained from samples; run \`adamflow trainer --session ${names.session}\` without --gradients, or train another session`,
    );
  }
  if (checkpoint?.format !== 'adamflow.gradient-checkpoint' || checkpoint.version !== 1) {
    throw new DistributedError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `the checkpoint of session ${names.session} cannot be read (not an adamflow.gradient-checkpoint of version 1)`,
    );
  }
  return { checkpoint, revision: stored.revision };
}

/**
 * Writes a gradient checkpoint only if the entry is still at `revision` (0: only if
 * absent); see `writeCheckpointEntry` for the object store path.
 *
 * @param nats - an open context.
 * @param names - the session's names.
 * @param checkpoint - the checkpoint.
 * @param revision - the revision this writer last wrote or read; 0 for none.
 * @returns the new revision.
 * @throws DistributedError `ADAMFLOW_ERR_LEASE_LOST` when another writer got there first.
 * @example
 * ```ts
 * import { type GradientCheckpoint, writeGradientCheckpoint } from './gradient-checkpoint.js';
 * import { openNats } from './nats-context.js';
 * import { sessionNames } from './session-names.js';
 * declare const checkpoint: GradientCheckpoint;
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * await writeGradientCheckpoint(nats, sessionNames('demo'), checkpoint, 0);
 * ```
 */
export function writeGradientCheckpoint(
  nats: NatsContext,
  names: SessionNames,
  checkpoint: GradientCheckpoint,
  revision: number,
): Promise<number> {
  return writeCheckpointEntry(nats, names.checkpointKey, checkpoint, revision);
}
