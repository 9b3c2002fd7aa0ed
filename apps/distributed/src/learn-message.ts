import type { Command } from '@adamflow/protocol';
import type { Learner, SampleBatch } from '@adamflow/stream';
import type { CommandLog, RecordedCommand } from './command-log.js';
import { DistributedError } from './errors.js';
import { decodeSamples } from './sample-codec.js';
import type { SessionNames } from './session-names.js';

/**
 * Where misaligned messages are decoded: one array for every call, since a batch is
 * learned completely before `learnMessage` returns and the learner keeps no reference.
 */
let scratch = new Float64Array(0);

/**
 * Learns the part of an input message (a consumer's `JsMsg`, or as a `SampleReader`
 * hands it over) the trainer has not learned, stopping at
 * `until` and applying each recorded command at its sample count on the way.
 *
 * @returns the new position: the message's sequence when it was learned completely.
 * @throws DistributedError `ADAMFLOW_ERR_STREAM_CORRUPT` when the message is not the next one.
 * @example
 * ```ts
 * import { learnMessage } from './learn-message.js';
 * declare const message: import('@nats-io/jetstream').JsMsg;
 * declare const learner: import('@adamflow/stream').Learner;
 * declare const log: import('./command-log.js').CommandLog;
 * declare const names: import('./session-names.js').SessionNames;
 * const next = learnMessage(message, learner, log, () => {}, { names, sequence: 0, offset: 0, until: Infinity });
 * ```
 */
export function learnMessage(
  message: { seq: number; data: Uint8Array },
  learner: Learner,
  log: CommandLog,
  replayDue: () => void,
  at: { names: SessionNames; sequence: number; offset: number; until: number },
): { sequence: number; offset: number } {
  const { names } = at;
  if (message.seq !== at.sequence + 1) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `stream ${names.stream}: expected sequence ${at.sequence + 1}, got ${message.seq}`,
    );
  }
  if (scratch.length * 8 < message.data.byteLength) {
    scratch = new Float64Array(Math.ceil(message.data.byteLength / 8));
  }
  const batch = decodeSamples(message.data, scratch);
  if (batch.start + at.offset !== learner.samples || batch.features !== learner.model.features) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `stream ${names.stream}: message ${message.seq} starts at sample ${batch.start} with ${batch.features} features, the trainer is at sample ${learner.samples - at.offset}`,
    );
  }
  let first = at.offset;
  while (first < batch.count && learner.samples < at.until) {
    replayDue();
    const take = Math.min(
      batch.count - first,
      at.until - learner.samples,
      log.nextAt - learner.samples,
    );
    learner.learnBatch(first === 0 && take === batch.count ? batch : rows(batch, first, take));
    first += take;
  }
  return first === batch.count
    ? { sequence: message.seq, offset: 0 }
    : { sequence: at.sequence, offset: first };
}

/**
 * A viewer's command made complete for the log (a `set-optimizer` without a learning
 * rate keeps the current one, as on the dashboard); undefined for pause and resume.
 *
 * @example
 * ```ts
 * import { Learner, linearRegression } from '@adamflow/stream';
 * import { completeCommand } from './learn-message.js';
 * const learner = new Learner({ model: linearRegression(), optimizer: 'adam' });
 * completeCommand({ type: 'set-optimizer', optimizer: 'sgd' }, learner); // lr: the current one
 * ```
 */
export function completeCommand(command: Command, learner: Learner): RecordedCommand | undefined {
  switch (command.type) {
    case 'set-lr':
      return { type: 'set-lr', lr: command.lr };
    case 'set-optimizer':
      return {
        type: 'set-optimizer',
        optimizer: command.optimizer,
        lr: command.lr ?? learner.optimizer.lr,
      };
    case 'reset':
      return { type: 'reset' };
    default:
      return undefined;
  }
}

/** `length` rows of a batch from `first`, as a batch of its own (views, no copy). */
function rows(batch: SampleBatch, first: number, length: number): SampleBatch {
  const f = batch.features;
  return {
    kind: 'sample-batch',
    features: f,
    count: length,
    x: batch.x.subarray(first * f, (first + length) * f),
    y: batch.y.subarray(first, first + length),
    start: batch.start + first,
  };
}
