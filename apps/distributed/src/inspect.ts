import { readCheckpoint } from './checkpoint.js';
import { DistributedError } from './errors.js';
import type { NatsContext } from './nats-context.js';
import { sessionNames } from './session-names.js';
import { readSource } from './session-source.js';

/** What `adamflow inspect` prints: the checkpoint's position and params. */
export interface InspectResult {
  samples: number;
  step: number;
  params: number[];
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
  const stored = await readCheckpoint(nats.kv, names);
  if (stored === undefined) {
    const produced = (await readSource(nats.kv, names)) !== undefined;
    throw new DistributedError(
      'ADAMFLOW_ERR_CHECKPOINT_MISSING',
      produced
        ? `session ${session} has samples but no checkpoint yet; start \`adamflow trainer --session ${session}\``
        : `session ${session} does not exist; start with \`adamflow produce --session ${session} ...\``,
    );
  }
  const { checkpoint } = stored;
  return { samples: checkpoint.samples, step: checkpoint.step, params: checkpoint.learner.params };
}
