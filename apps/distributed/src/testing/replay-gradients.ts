// An independent replay of a session's gradient stream: the optimizer stepped by hand
// (no applyGradients, no trainer), with the staleness rule written out again.
import {
  createOptimizer,
  type OptimizerName,
  type OptimizerState,
  optimizers,
} from '@adamflow/core';
import { createModel, type ModelSpec, modelFor } from '@adamflow/stream';
import { decodeGradient } from '../gradient-codec.js';
import type { NatsContext } from '../nats-context.js';
import { sessionNames } from '../session-names.js';
import { readSource } from '../session-source.js';

/** What a replay ends with. */
export interface Replay {
  params: number[];
  optimizer: OptimizerState;
  applied: number;
  stale: number;
  invalid: number;
  /** The version tag of every gradient, in stream order. */
  tags: number[];
  /** The sample sequence of every gradient, in stream order. */
  sampleSequences: number[];
}

/**
 * Replays every gradient stored in the session's stream.
 *
 * @param nats - an open context.
 * @param session - the session.
 * @param options - the trainer's optimizer, lr and staleness bound, and the model when
 *   it is not the source's own.
 * @returns the final params, optimizer state and counts.
 * @example
 * ```ts
 * import { replayGradients } from './replay-gradients.js';
 * declare const nats: import('../nats-context.js').NatsContext;
 * (await replayGradients(nats, 'demo', { optimizer: 'adam', lr: 0.01, maxStaleness: 2 })).params;
 * ```
 */
export async function replayGradients(
  nats: NatsContext,
  session: string,
  options: { optimizer: OptimizerName; lr: number; maxStaleness: number; model?: ModelSpec },
): Promise<Replay> {
  const names = sessionNames(session);
  const source = await readSource(nats.kv, names);
  const model = options.model
    ? createModel(options.model)
    : modelFor(source!.spec.kind, source!.features);
  const params = new Float64Array(model.size);
  model.initialize?.(params);
  const optimizer = createOptimizer(options.optimizer, params, {
    ...optimizers[options.optimizer].demoOptions,
    lr: options.lr,
  });
  const replay = {
    applied: 0,
    stale: 0,
    invalid: 0,
    tags: [] as number[],
    sampleSequences: [] as number[],
  };
  const { last_seq: last } = (await nats.jsm.streams.info(names.gradientsStream)).state;
  for (let seq = 1; seq <= last; seq++) {
    const stored = await nats.jsm.streams.getMessage(names.gradientsStream, { seq });
    const message = decodeGradient(stored!.data);
    replay.tags.push(message.step);
    replay.sampleSequences.push(message.sampleSequence);
    const version = optimizer.stepCount;
    if (message.step > version || !message.gradient.every(Number.isFinite)) replay.invalid++;
    else if (version - message.step <= options.maxStaleness) {
      optimizer.step(message.gradient);
      replay.applied++;
    } else replay.stale++;
  }
  return { ...replay, params: Array.from(params), optimizer: optimizer.state() };
}
