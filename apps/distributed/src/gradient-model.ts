import { createModel, type Model, type ModelSpec, modelFor } from '@adamflow/stream';
import type { KV } from '@nats-io/kv';
import { DistributedError } from './errors.js';
import { parseExact, stringifyExact } from './exact-json.js';
import type { NatsContext } from './nats-context.js';
import type { SessionNames } from './session-names.js';
import type { SessionSource } from './session-source.js';

/**
 * Which model a gradient session trains, as the `trainer --gradients` and `worker`
 * flags say: the source's own model (`linear-regression`, or `logistic-regression` for
 * the logistic source), or a multilayer perceptron on the source's features.
 */
export type GradientModelChoice =
  | { kind: 'source' }
  | { kind: 'mlp'; hidden: number[]; activation: 'tanh' | 'relu'; seed: number };

/** The choice of every command that does not say: the source's own model. */
export const SOURCE_MODEL: GradientModelChoice = { kind: 'source' };

/** What the session's KV entry records: the model every trainer and worker of it must build. */
interface GradientModelRecord {
  format: 'adamflow.gradient-model';
  version: 1;
  model: ModelSpec;
}

/** Bytes of a message around its float64 values: the gradient codec's header, with room to spare. */
const MESSAGE_OVERHEAD = 256;

/**
 * The model a choice makes on a session's source: an MLP takes the source's features
 * as inputs, one output, and regression or (on the logistic source) binary
 * classification.
 *
 * @param choice - the flags' choice.
 * @param source - the session's source, as produce recorded it.
 * @returns the model (its `spec` is what the session records).
 * @throws RangeError when an MLP's widths are not positive integers.
 * @example
 * ```ts
 * import { linearSpec } from '@adamflow/stream';
 * import { buildGradientModel } from './gradient-model.js';
 * const source = { format: 'adamflow.session-source', version: 1, spec: linearSpec(), features: 1 } as const;
 * buildGradientModel({ kind: 'mlp', hidden: [300, 300], activation: 'tanh', seed: 0 }, source).size; // 91201
 * ```
 */
export function buildGradientModel(choice: GradientModelChoice, source: SessionSource): Model {
  if (choice.kind === 'source') return modelFor(source.spec.kind, source.features);
  return createModel({
    kind: 'mlp',
    inputs: source.features,
    hidden: choice.hidden,
    outputs: 1,
    activation: choice.activation,
    task: source.spec.kind === 'logistic' ? 'classification' : 'regression',
    seed: choice.seed,
  });
}

/**
 * Records the session's gradient model, or checks that the recorded one is the same:
 * the first trainer or worker of a gradient session decides, every later one must
 * agree (a worker computing gradients of another model would feed the trainer
 * vectors of another layout).
 *
 * @param kv - the sessions bucket.
 * @param names - the session's names.
 * @param model - the model this command built (a built-in one: it has a `spec`).
 * @throws DistributedError `ADAMFLOW_ERR_MODEL_MISMATCH` when the session records another model.
 * @example
 * ```ts
 * import { linearRegression } from '@adamflow/stream';
 * import { claimGradientModel } from './gradient-model.js';
 * import { openNats } from './nats-context.js';
 * import { sessionNames } from './session-names.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * await claimGradientModel(nats.kv, sessionNames('demo'), linearRegression());
 * ```
 */
export async function claimGradientModel(kv: KV, names: SessionNames, model: Model): Promise<void> {
  const spec = model.spec!;
  const record: GradientModelRecord = {
    format: 'adamflow.gradient-model',
    version: 1,
    model: spec,
  };
  const text = stringifyExact(record);
  const key = gradientModelKey(names);
  try {
    await kv.create(key, text);
    return;
  } catch {
    // Already there (or a concurrent command won the race): it must be the same model.
  }
  const entry = await kv.get(key);
  const stored =
    entry === null || entry.operation !== 'PUT'
      ? undefined
      : (parseExact(entry.string()) as GradientModelRecord);
  if (stored === undefined || stringifyExact(stored) !== text) {
    throw new DistributedError(
      'ADAMFLOW_ERR_MODEL_MISMATCH',
      `session ${names.session} trains the model ${describeModel(stored?.model)}, not ${describeModel(spec)}; pass the same --model flags to every trainer and worker of the session, or use another session`,
    );
  }
}

/**
 * Refuses a model whose gradient (or parameter version) message would not fit in one
 * NATS message: the server's `max_payload` (1 MB by default, at most 64 MB) bounds
 * every message, and gradients are not split across messages.
 *
 * @param nats - an open context.
 * @param size - the model's parameters.
 * @throws DistributedError `ADAMFLOW_ERR_MODEL_TOO_LARGE` when 8 bytes per parameter exceed it.
 * @example
 * ```ts
 * import { checkMessageFits } from './gradient-model.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * checkMessageFits(nats, 91_201); // fine on a default server
 * ```
 */
export function checkMessageFits(nats: NatsContext, size: number): void {
  const limit = nats.nc.info?.max_payload ?? 1024 * 1024;
  const bytes = 8 * size + MESSAGE_OVERHEAD;
  if (bytes > limit) {
    throw new DistributedError(
      'ADAMFLOW_ERR_MODEL_TOO_LARGE',
      `a model of ${size} parameters needs gradient messages of ${bytes} bytes, more than the server's max_payload of ${limit}; raise max_payload in nats-server's configuration (at most 64 MB) or choose a smaller model (at most ${Math.floor((limit - MESSAGE_OVERHEAD) / 8)} parameters here)`,
    );
  }
}

/** The KV key of a session's gradient model. */
function gradientModelKey(names: SessionNames): string {
  return `${names.session}.gradient-model`;
}

function describeModel(spec: ModelSpec | undefined): string {
  if (spec === undefined) return '(unreadable)';
  if (spec.kind !== 'mlp') return spec.kind;
  return `mlp (hidden ${spec.hidden.join(',')}, ${spec.activation}, seed ${spec.seed})`;
}
