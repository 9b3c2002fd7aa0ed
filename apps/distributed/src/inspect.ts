import type { ModelSpec } from '@adamflow/stream';
import type { TrainerCheckpoint } from './checkpoint.js';
import { readCheckpoint } from './checkpoint.js';
import { readCheckpointEntry } from './checkpoint-store.js';
import { DistributedError } from './errors.js';
import { type GradientCheckpoint, readGradientCheckpoint } from './gradient-checkpoint.js';
import type { NatsContext } from './nats-context.js';
import { sessionNames } from './session-names.js';
import { readSource } from './session-source.js';

/** What `adamflow inspect` prints: the checkpoint's position and params. */
export interface InspectResult {
  samples: number;
  step: number;
  params: number[];
  /** Gradient mode only: what the trainer did with the gradients it consumed. */
  gradients?: {
    applied: number;
    stale: number;
    invalid: number;
    consumedSamples: number;
    maxStaleness: number;
    sequence: number;
    /** The model trained. */
    model: ModelSpec;
  };
}

/**
 * Reads a session's checkpoint.
 *
 * @param nats - an open context.
 * @param session - the session.
 * @returns samples learned, optimizer steps and params, as of the checkpoint.
 * @throws DistributedError `ADAMFLOW_ERR_CHECKPOINT_MISSING` when no trainer has checkpointed yet.
 * @example
 * ```ts
 * import { inspect } from './inspect.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'adamflow-inspect' });
 * console.log((await inspect(nats, 'demo')).params);
 * ```
 */
export async function inspect(nats: NatsContext, session: string): Promise<InspectResult> {
  const names = sessionNames(session);
  const entry = await readCheckpointEntry(nats, names.checkpointKey);
  const format = (entry?.value as { format?: string } | undefined)?.format;
  const stored =
    format === 'adamflow.gradient-checkpoint'
      ? await readGradientCheckpoint(nats, names)
      : await readCheckpoint(nats, names);
  if (stored === undefined) {
    const produced = (await readSource(nats.kv, names)) !== undefined;
    throw new DistributedError(
      'ADAMFLOW_ERR_CHECKPOINT_MISSING',
      produced
        ? `session ${session} has samples but no checkpoint yet; start \`adamflow trainer --session ${session}\``
        : `session ${session} does not exist; start with \`adamflow produce --session ${session} ...\``,
    );
  }
  const checkpoint: TrainerCheckpoint | GradientCheckpoint = stored.checkpoint;
  if (checkpoint.format === 'adamflow.trainer-checkpoint') {
    return {
      samples: checkpoint.samples,
      step: checkpoint.step,
      params: checkpoint.learner.params,
    };
  }
  const { applied, stale, invalid, consumedSamples, sequence, config } = checkpoint;
  return {
    samples: checkpoint.samples,
    step: checkpoint.step,
    params: checkpoint.params,
    gradients: {
      applied,
      stale,
      invalid,
      consumedSamples,
      maxStaleness: config.maxStaleness,
      sequence,
      model: config.model,
    },
  };
}
