import type { Model } from '../model.js';
import { Random } from '../random.js';
import { softmaxInPlace } from './softmax-regression.js';

/** Options of {@link mlp}. */
export interface MlpOptions {
  /** Numbers per sample (the model's `features`). */
  inputs: number;
  /** Width of each hidden layer, input side first, e.g. `[32]` or `[16, 16]`; may be empty. */
  hidden: readonly number[];
  /** Output units: 1 for regression and binary classification, K >= 2 for K classes; default 1. */
  outputs?: number;
  /** Hidden activation; default `'tanh'`. */
  activation?: 'tanh' | 'relu';
  /** `'regression'` (squared error) or `'classification'`; default `'regression'`. */
  task?: 'regression' | 'classification';
  /** Seed of the initial weights (an integer; its low 32 bits are used); default 0. */
  seed?: number;
}

/**
 * A multilayer perceptron with hand-written backpropagation: dense layers
 * `a_l = act(b_l + W_l a_(l-1))` with `act` tanh or ReLU on the hidden layers, and a
 * linear output layer `z = b + W a` followed by
 * - regression (one output): the value `z`, loss `(z - y)^2`;
 * - classification, one output: `p = sigmoid(z)` = P(y = 1), log loss computed from
 *   the logit as `max(z, 0) - y z + log(1 + exp(-|z|))`;
 * - classification, K >= 2 outputs: `p = softmax(z)` (max-shifted), cross-entropy
 *   `logsumexp(z) - z_y`.
 *
 * Parameters: layer by layer from the input side; each layer's `n_out` biases, then its
 * weights row by row (the `n_in` weights into output unit 0, then unit 1, ...).
 *
 * Initialisation (`initialize`, used by learners): biases 0; weights uniform in
 * `[-limit, limit)`, drawn in parameter order from `new Random(seed)` as
 * `(2u - 1) · limit`, with He uniform `limit = sqrt(6 / n_in)` into ReLU layers and
 * Glorot uniform `limit = sqrt(6 / (n_in + n_out))` into tanh layers and the output layer.
 *
 * Buffer (`bufferSize`): the outputs, the output logits, their logsumexp, the hidden
 * activations, then backpropagation's scratch.
 *
 * @param options - {@link MlpOptions}.
 * @returns the model.
 * @example
 * ```ts
 * import { Learner, mlp } from '@adamflow/stream';
 * const model = mlp({ inputs: 1, hidden: [32], activation: 'tanh', task: 'regression', seed: 1 });
 * const learner = new Learner({ model, optimizer: 'adam' }); // starts from the seeded weights
 * learner.learn({ x: [0.5], y: Math.sin(0.5), index: 0 });
 * ```
 */
export function mlp(options: MlpOptions): Model {
  const { sizes, activation, task, seed } = checkMlpOptions(options);
  const layers = sizes.length - 1;
  const outputs = sizes[layers]!;
  const hiddenTotal = sizes.slice(1, -1).reduce((a, b) => a + b, 0);
  // Where each layer's parameters start, and where each hidden layer's activations
  // (index l: output of layer l) and backpropagated errors live in the buffer.
  const paramStart: number[] = [];
  const actStart: number[] = [];
  const deltaStart: number[] = [];
  let size = 0;
  let act = 2 * outputs + 1;
  let delta = act + hiddenTotal;
  for (let l = 0; l < layers; l++) {
    paramStart.push(size);
    size += sizes[l + 1]! * (sizes[l]! + 1);
    actStart.push(l === layers - 1 ? outputs : act);
    deltaStart.push(l === layers - 1 ? 2 * outputs + 1 + 2 * hiddenTotal : delta);
    if (l < layers - 1) {
      act += sizes[l + 1]!;
      delta += sizes[l + 1]!;
    }
  }
  const bufferSize = 2 * outputs + 1 + 2 * hiddenTotal + outputs;
  const own = new Float64Array(bufferSize);
  const relu = activation === 'relu';

  const predict = (
    params: ArrayLike<number>,
    x: ArrayLike<number>,
    offset = 0,
    out: Float64Array = own,
  ): number => {
    for (let l = 0; l < layers; l++) {
      const nIn = sizes[l]!;
      const nOut = sizes[l + 1]!;
      const input = l === 0 ? x : out;
      const inStart = l === 0 ? offset : actStart[l - 1]!;
      const start = paramStart[l]!;
      const target = actStart[l]!;
      const hidden = l < layers - 1;
      for (let i = 0; i < nOut; i++) {
        let z = params[start + i]!;
        const row = start + nOut + i * nIn;
        for (let j = 0; j < nIn; j++) z += params[row + j]! * input[inStart + j]!;
        out[target + i] = hidden ? (relu ? Math.max(z, 0) : Math.tanh(z)) : z;
      }
    }
    // The output layer wrote its logits to out[outputs ..]: turn them into outputs.
    if (task === 'regression') {
      out[0] = out[outputs]!;
      return out[0];
    }
    if (outputs === 1) {
      const z = out[1]!;
      const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      out[0] = p;
      return p;
    }
    let max = Number.NEGATIVE_INFINITY;
    let best = 0;
    for (let k = 0; k < outputs; k++) {
      const z = out[outputs + k]!;
      if (z > max) {
        max = z;
        best = k;
      }
    }
    return softmaxInPlace(out, outputs, max, best);
  };

  const loss = (prediction: number, y: number, out: Float64Array = own): number => {
    if (task === 'regression') return (prediction - y) * (prediction - y);
    if (outputs === 1) {
      const z = out[1]!;
      return Math.max(z, 0) - y * z + Math.log1p(Math.exp(-Math.abs(z)));
    }
    return out[2 * outputs]! - out[outputs + y]!;
  };

  const accumulateGradient: Model['accumulateGradient'] = (
    params,
    x,
    offset,
    y,
    prediction,
    grad,
    weight,
    out = own,
  ) => {
    // The output layer's error dL/dz, times the sample's weight.
    const top = deltaStart[layers - 1]!;
    if (task === 'regression') out[top] = 2 * (prediction - y) * weight;
    else if (outputs === 1) out[top] = (out[0]! - y) * weight;
    else for (let k = 0; k < outputs; k++) out[top + k] = (out[k]! - (k === y ? 1 : 0)) * weight;
    for (let l = layers - 1; l >= 0; l--) {
      const nIn = sizes[l]!;
      const nOut = sizes[l + 1]!;
      const input = l === 0 ? x : out;
      const inStart = l === 0 ? offset : actStart[l - 1]!;
      const start = paramStart[l]!;
      const errors = deltaStart[l]!;
      for (let i = 0; i < nOut; i++) {
        const d = out[errors + i]!;
        grad[start + i]! += d;
        const row = start + nOut + i * nIn;
        for (let j = 0; j < nIn; j++) grad[row + j]! += d * input[inStart + j]!;
      }
      if (l === 0) break;
      // Back through W_l (row by row, so reads stay contiguous), then the activation.
      const below = deltaStart[l - 1]!;
      for (let j = 0; j < nIn; j++) out[below + j] = 0;
      for (let i = 0; i < nOut; i++) {
        const d = out[errors + i]!;
        const row = start + nOut + i * nIn;
        for (let j = 0; j < nIn; j++) out[below + j]! += params[row + j]! * d;
      }
      for (let j = 0; j < nIn; j++) {
        const a = out[inStart + j]!;
        out[below + j]! *= relu ? (a > 0 ? 1 : 0) : 1 - a * a;
      }
    }
  };

  return {
    kind: 'mlp',
    spec: {
      kind: 'mlp',
      inputs: sizes[0]!,
      hidden: sizes.slice(1, -1),
      outputs,
      activation,
      task,
      seed,
    },
    task,
    features: sizes[0]!,
    outputs,
    size,
    bufferSize,
    predict,
    loss,
    accumulateGradient,
    initialize(params) {
      const random = new Random(seed);
      for (let l = 0; l < layers; l++) {
        const nIn = sizes[l]!;
        const nOut = sizes[l + 1]!;
        const he = relu && l < layers - 1;
        const limit = Math.sqrt(6 / (he ? nIn : nIn + nOut));
        const start = paramStart[l]!;
        for (let i = 0; i < nOut; i++) params[start + i] = 0;
        for (let k = 0; k < nOut * nIn; k++) {
          params[start + nOut + k] = (2 * random.uniform() - 1) * limit;
        }
      }
    },
  };
}

interface CheckedMlpOptions {
  sizes: number[];
  activation: 'tanh' | 'relu';
  task: 'regression' | 'classification';
  seed: number;
}

function checkMlpOptions(options: MlpOptions): CheckedMlpOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError("mlp: pass options, e.g. { inputs: 1, hidden: [32], activation: 'tanh' }");
  }
  const positive = (name: string, value: unknown): number => {
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new RangeError(`mlp: ${name} must be a positive integer, got ${String(value)}`);
    }
    return value as number;
  };
  const inputs = positive('inputs', options.inputs);
  if (!Array.isArray(options.hidden)) {
    throw new TypeError(
      `mlp: hidden must be an array of layer widths, e.g. [32] or [16, 16], got ${String(options.hidden)}`,
    );
  }
  const hidden = options.hidden.map((width, l) => positive(`hidden[${l}]`, width));
  const outputs = positive('outputs', options.outputs ?? 1);
  const activation = options.activation ?? 'tanh';
  if (activation !== 'tanh' && activation !== 'relu') {
    throw new TypeError(
      `mlp: activation must be 'tanh' or 'relu', got ${JSON.stringify(activation)}`,
    );
  }
  const task = options.task ?? 'regression';
  if (task !== 'regression' && task !== 'classification') {
    throw new TypeError(
      `mlp: task must be 'regression' or 'classification', got ${JSON.stringify(task)}`,
    );
  }
  if (task === 'regression' && outputs !== 1) {
    throw new RangeError(
      `mlp: a regression has one output (targets are numbers), got outputs ${outputs}; use task 'classification' for K classes`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) {
    throw new TypeError(`mlp: seed must be an integer, got ${String(seed)}`);
  }
  return { sizes: [inputs, ...hidden, outputs], activation, task, seed };
}
