import type { Model, SampleBatch } from '@adamflow/stream';
import { AckPolicy, type ConsumerMessages, DeliverPolicy, type PubAck } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { asDisconnect } from './disconnect.js';
import { DistributedError } from './errors.js';
import { encodeGradient } from './gradient-codec.js';
import {
  buildGradientModel,
  checkMessageFits,
  claimGradientModel,
  type GradientModelChoice,
  SOURCE_MODEL,
} from './gradient-model.js';
import { ensureGradientStream } from './gradient-stream.js';
import type { NatsContext } from './nats-context.js';
import { decodeParamsVersion, openParamsVersions, paramsVersionNames } from './params-versions.js';
import { decodeSamples } from './sample-codec.js';
import { type SessionNames, sessionNames } from './session-names.js';
import { readSource } from './session-source.js';

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  session: string;
  /**
   * Gradients this worker may publish per parameter update it sees (its lead on the
   * trainer; with W workers gradients are about W × ahead steps stale); default 1.
   */
  ahead?: number;
  /** How long an unacknowledged sample message stays with a worker before another gets it; default 30000 ms. */
  ackWaitMs?: number;
  /** The model (every trainer and worker of the session must agree); default the source's own. */
  model?: GradientModelChoice;
  /** Told what happens. */
  onEvent?: (event: WorkerEvent) => void;
  /** Stops the worker (the sample message in hand is finished first). */
  signal?: AbortSignal;
}

/** What a worker reports. */
export type WorkerEvent =
  | { event: 'worker-ready'; params: number; step: number }
  | { event: 'worker-stopped'; gradients: number; samples: number; duplicates: number };

/** What a worker did before it stopped. */
export interface WorkerResult {
  /** Gradients it published (duplicates included). */
  gradients: number;
  /** Samples they average. */
  samples: number;
  /** Gradients JetStream dropped as duplicates (of a sample message another worker had finished). */
  duplicates: number;
}

/**
 * A data-parallel gradient worker. Sample messages of the session are shared among
 * any number of workers by one durable consumer (each message goes to one worker
 * and is acknowledged only once its gradient is stored); the worker follows the
 * session's parameter updates and computes the mean gradient of each message's
 * samples at the latest parameters it knows, tagged with their version (optimizer
 * steps), into the session's gradient stream. A message redelivered after a worker
 * died yields a gradient with the same `Nats-Msg-Id`, which JetStream drops. It rides
 * through a lost connection (a broker restart): the client reconnects, and a publish
 * that failed meanwhile is sent again under the same id.
 *
 * @param nats - an open context.
 * @param options - {@link WorkerOptions}.
 * @returns what it published, once stopped by the signal.
 * @throws DistributedError `ADAMFLOW_ERR_SESSION_UNKNOWN` when nothing was produced into the session,
 *   `ADAMFLOW_ERR_MODEL_MISMATCH` when the session trains another model,
 *   `ADAMFLOW_ERR_MODEL_TOO_LARGE` when its gradients do not fit in a NATS message.
 * @example
 * ```ts
 * import { openNats } from './nats-context.js';
 * import { runWorker } from './worker.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'adamflow-worker' });
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 10_000);
 * console.log(await runWorker(nats, { session: 'demo', signal: stop.signal }));
 * ```
 */
export async function runWorker(nats: NatsContext, options: WorkerOptions): Promise<WorkerResult> {
  const names = sessionNames(options.session);
  const ahead = options.ahead ?? 1;
  if (!Number.isInteger(ahead) || ahead < 1) {
    throw new RangeError(`ahead must be an integer >= 1, got ${ahead}`);
  }
  const source = await readSource(nats.kv, names);
  if (source === undefined) {
    throw new DistributedError(
      'ADAMFLOW_ERR_SESSION_UNKNOWN',
      `session ${names.session} has no samples; run \`adamflow produce --session ${names.session} ...\` first`,
    );
  }
  const model = buildGradientModel(options.model ?? SOURCE_MODEL, source);
  // Checked before the claim: a model that cannot run is not recorded for the session.
  checkMessageFits(nats, model.size);
  await claimGradientModel(nats.kv, names, model);
  const params = new Float64Array(model.size);
  model.initialize?.(params);
  const epoch = await ensureGradientStream(nats, names);
  const samplesCreated = (await nats.jsm.streams.info(names.stream)).created;
  // The versions stream must exist before it can be followed; the trainer creates it too.
  await openParamsVersions(nats, names);
  const pace = new Pace(ahead);
  let step = 0;
  const updates = await followVersions(nats, names, epoch, model.size, (update) => {
    params.set(update.params);
    step = update.step;
    pace.grant(ahead);
  });
  const result: WorkerResult = { gradients: 0, samples: 0, duplicates: 0 };
  let samples: ConsumerMessages | undefined;
  const onAbort = () => {
    pace.stop();
    samples?.stop();
  };
  options.signal?.addEventListener('abort', onAbort);
  try {
    const consumer = await sharedConsumer(nats, names, options.ackWaitMs ?? 30_000);
    // One message buffered ahead: the next one is here when the update that allows it arrives.
    samples = await consumer.consume({ max_messages: 1 });
    if (options.signal?.aborted) onAbort();
    const next = samples[Symbol.asyncIterator]();
    options.onEvent?.({ event: 'worker-ready', params: model.size, step });
    const gradient = new Float64Array(model.size);
    const out = new Float64Array(model.bufferSize);
    while (await pace.take()) {
      const { value: message, done } = await next.next();
      if (done) break;
      const batch = decodeSamples(message.data);
      const loss = meanGradient(model, params, batch, gradient, out);
      const ack = await publishSurely(
        nats,
        names.gradientsSubject,
        encodeGradient({ step, sampleSequence: message.seq, samples: batch.count, loss, gradient }),
        `${names.session}:${samplesCreated}:${message.seq}`,
        options.signal,
      );
      if (ack === undefined) break;
      // Acknowledged once its gradient is stored; a lost ack only means a redelivery
      // whose gradient JetStream drops by id.
      message.ack();
      result.gradients++;
      result.samples += batch.count;
      if (ack.duplicate) result.duplicates++;
    }
    options.onEvent?.({ event: 'worker-stopped', ...result });
    return result;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    samples?.stop();
    updates.stop();
  }
}

/**
 * Writes the mean gradient of the batch's loss at `params` into `gradient` and returns
 * the mean loss: the same per-sample calls a learner makes, weighted 1/count.
 */
function meanGradient(
  model: Model,
  params: Float64Array,
  batch: SampleBatch,
  gradient: Float64Array,
  out: Float64Array,
): number {
  const { x, y, count, features } = batch;
  const weight = 1 / count;
  gradient.fill(0);
  let loss = 0;
  for (let row = 0; row < count; row++) {
    const offset = row * features;
    const prediction = model.predict(params, x, offset, out);
    loss += model.loss(prediction, y[row]!, out);
    model.accumulateGradient(params, x, offset, y[row]!, prediction, gradient, weight, out);
  }
  return loss / count;
}

/** The durable consumer every worker of the session pulls from (created by the first). */
async function sharedConsumer(nats: NatsContext, names: SessionNames, ackWaitMs: number) {
  try {
    await nats.jsm.consumers.info(names.stream, names.workersConsumer);
  } catch {
    await nats.jsm.consumers
      .add(names.stream, {
        durable_name: names.workersConsumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: 1024,
      })
      .catch(async (error: unknown) => {
        // A concurrent worker created it first; anything else is real.
        await nats.jsm.consumers.info(names.stream, names.workersConsumer).catch(() => {
          throw error;
        });
      });
  }
  return nats.js.consumers.get(names.stream, names.workersConsumer);
}

/**
 * Publishes under a message id until JetStream stores it (a re-send after a lost
 * connection is dropped by id if the first one got through), or undefined once stopped.
 */
async function publishSurely(
  nats: NatsContext,
  subject: string,
  bytes: Uint8Array,
  msgID: string,
  signal: AbortSignal | undefined,
): Promise<PubAck | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await nats.js.publish(subject, bytes, { msgID });
    } catch (error) {
      const disconnect = asDisconnect(error);
      if ((disconnect as { code?: string }).code !== 'ADAMFLOW_ERR_NATS_DISCONNECTED') throw error;
      if (signal?.aborted || nats.nc.isClosed()) return undefined;
      // The client reconnects on its own; wait a little longer each time for JetStream to be back.
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)));
    }
  }
}

/** Follows the session's parameter versions of this gradient history, from the last one stored. */
async function followVersions(
  nats: NatsContext,
  names: SessionNames,
  epoch: string,
  size: number,
  onUpdate: (update: { step: number; params: Float64Array }) => void,
): Promise<{ stop(): void }> {
  const consumer = await nats.js.consumers.get(paramsVersionNames(names).stream, {
    deliver_policy: DeliverPolicy.Last,
  });
  let messages: ConsumerMessages | undefined = await consumer.consume();
  void (async () => {
    for await (const message of messages!) {
      let update: ReturnType<typeof decodeParamsVersion>;
      try {
        update = decodeParamsVersion(message.data);
      } catch {
        continue;
      }
      // Versions of another gradient history (a recreated stream) are not ours.
      if (update.epoch === epoch && update.params.length === size) onUpdate(update);
    }
  })().catch(() => {});
  return {
    stop: () => {
      messages?.stop();
      messages = undefined;
    },
  };
}

/** How many gradients the worker may still publish before it waits for an update. */
class Pace {
  private credit: number;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(initial: number) {
    this.credit = initial;
  }

  /** Resolves true with one credit taken, or false once stopped. */
  async take(): Promise<boolean> {
    while (!this.stopped && this.credit <= 0) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.stopped) return false;
    this.credit--;
    return true;
  }

  grant(credit: number): void {
    // The lead is bounded: updates seen while idle do not pile up into a burst.
    this.credit = Math.min(this.credit + credit, credit);
    this.wakeUp();
  }

  stop(): void {
    this.stopped = true;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
