// The MLP per-sample step (1-32-1, tanh, squared error, Adam lr 1e-3): forward pass,
// backpropagation and one optimizer step per sample, ours against TensorFlow.js's cpu
// backend on the same network, one sample per step. Writes bench/results/mlp.json.
//
// Ours runs in float64 (a Learner over `mlp()` and `Adam`, and the bare model contract
// with `Adam`, no Learner); TF.js in float32 (its only dtype for training), building
// the same graph per step under `optimizer.minimize`, as its per-sample training does.

import { createRequire } from 'node:module';
import { Adam } from '@adamflow/core';
import { Learner, mlp, Random, type Sample } from '@adamflow/stream';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildSync } from 'esbuild';
import { environment, measure, median, printTable, writeResult } from './harness.js';

// tfjs-core's bundles register no gradients (the full tfjs package imports
// dist/register_all_gradients, whose ES modules Node cannot load as published:
// directory imports without extensions). Bundle that file and run it once; it fills
// TF.js's global gradient registry, which the core bundle above reads.
const gradientsEntry = createRequire(import.meta.url).resolve(
  '@tensorflow/tfjs-core/dist/register_all_gradients.js',
);
const gradients = buildSync({
  entryPoints: [gradientsEntry],
  bundle: true,
  format: 'esm',
  platform: 'node',
  write: false,
  logLevel: 'silent',
});
await import(`data:text/javascript,${encodeURIComponent(gradients.outputFiles[0]!.text)}`);

const HIDDEN = 32;
const LR = 1e-3;
const SEED = 1;
const POOL = 4096;

// The same samples for everyone: x ~ U(-3, 3), y = sin(x), cycled.
const random = new Random(SEED);
const xs = Float64Array.from({ length: POOL }, () => 6 * random.uniform() - 3);
const ys = xs.map(Math.sin);
const samples: Sample[] = Array.from(xs, (x, index) => ({ x: [x], y: ys[index]!, index }));

function poolMse(predict: (x: number) => number): number {
  let sum = 0;
  for (let i = 0; i < POOL; i++) sum += (predict(xs[i]!) - ys[i]!) ** 2;
  return sum / POOL;
}

let learnerMse = () => Number.NaN;

function oursLearner() {
  const learner = new Learner({
    model: mlp({ inputs: 1, hidden: [HIDDEN], activation: 'tanh', task: 'regression', seed: SEED }),
    optimizer: (params) => new Adam(params, { lr: LR }),
  });
  learnerMse = () => poolMse((x) => learner.predict([x]));
  let i = 0;
  return (units: number) => {
    for (let k = 0; k < units; k++) {
      learner.learn(samples[i]!);
      i = i + 1 === POOL ? 0 : i + 1;
    }
    return learner.lastLoss;
  };
}

function oursBare() {
  const model = mlp({
    inputs: 1,
    hidden: [HIDDEN],
    activation: 'tanh',
    task: 'regression',
    seed: SEED,
  });
  const params = new Float64Array(model.size);
  model.initialize!(params);
  const grad = new Float64Array(model.size);
  const out = new Float64Array(model.bufferSize);
  const adam = new Adam(params, { lr: LR });
  let i = 0;
  let loss = 0;
  return (units: number) => {
    for (let k = 0; k < units; k++) {
      const prediction = model.predict(params, xs, i, out);
      loss = model.loss(prediction, ys[i]!, out);
      grad.fill(0);
      model.accumulateGradient(params, xs, i, ys[i]!, prediction, grad, 1, out);
      adam.step(grad);
      i = i + 1 === POOL ? 0 : i + 1;
    }
    return loss;
  };
}

async function tfjsCpu() {
  await tf.setBackend('cpu');
  await tf.ready();
  // Glorot uniform weights, zero biases, as ours (values differ; the cost does not).
  const w1 = tf.variable(tf.randomUniform([1, HIDDEN], -Math.sqrt(6 / 33), Math.sqrt(6 / 33)));
  const b1 = tf.variable(tf.zeros([HIDDEN]));
  const w2 = tf.variable(tf.randomUniform([HIDDEN, 1], -Math.sqrt(6 / 33), Math.sqrt(6 / 33)));
  const b2 = tf.variable(tf.zeros([1]));
  const optimizer = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  let i = 0;
  // The mean squared error over the pool, to show the network learns (a sanity check).
  const mse = () =>
    tf
      .tidy(() => {
        const input = tf.tensor2d(Array.from(xs), [POOL, 1]);
        const hidden = tf.tanh(tf.add(tf.matMul(input, w1), b1));
        const prediction = tf.add(tf.matMul(hidden, w2), b2);
        return tf.mean(tf.squaredDifference(prediction, tf.tensor2d(Array.from(ys), [POOL, 1])));
      })
      .dataSync()[0]!;
  const run = (units: number) => {
    for (let k = 0; k < units; k++) {
      const x = xs[i]!;
      const y = ys[i]!;
      tf.tidy(() => {
        const input = tf.tensor2d([[x]]);
        const target = tf.tensor2d([[y]]);
        optimizer.minimize(() => {
          const hidden = tf.tanh(tf.add(tf.matMul(input, w1), b1));
          const prediction = tf.add(tf.matMul(hidden, w2), b2);
          return tf.sum(tf.squaredDifference(prediction, target));
        });
      });
      i = i + 1 === POOL ? 0 : i + 1;
    }
    return b2.dataSync()[0];
  };
  return { run, mse, backend: tf.getBackend() };
}

const OURS_UNITS = Number(process.env['ADAMFLOW_BENCH_SAMPLES'] ?? 200_000);
const TFJS_UNITS = Math.max(100, Math.floor(OURS_UNITS / 100));
const tfjs = await tfjsCpu();
const initialMse = { ours: Number.NaN, tfjs: tfjs.mse() };
const measured = await measure(
  [
    { name: 'adamflow Learner + mlp() + Adam (float64)', run: oursLearner(), units: OURS_UNITS },
    { name: 'adamflow mlp() + Adam, no Learner (float64)', run: oursBare(), units: OURS_UNITS },
    { name: `tfjs-core 4.22, ${tfjs.backend} backend (float32)`, run: tfjs.run, units: TFJS_UNITS },
  ],
  OURS_UNITS,
  7,
  1,
);
const [learner, bare, reference] = measured;
const finalMse = { ours: learnerMse(), tfjs: tfjs.mse() };
printTable('Sanity: pool MSE of sin(x) after the runs (both must fall)', [
  {
    'tfjs before': initialMse.tfjs,
    'tfjs after': finalMse.tfjs,
    'ours (Learner) after': finalMse.ours,
  },
]);
// Median of the per-round ratios (the contenders run back to back in each round).
const speedup = {
  learnerVsTfjsCpu: median(reference!.rounds.map((ns, r) => ns / learner!.rounds[r]!)),
  bareVsTfjsCpu: median(reference!.rounds.map((ns, r) => ns / bare!.rounds[r]!)),
};
printTable(
  `MLP 1-${HIDDEN}-1 tanh, one sample per step, Adam (1 warm-up round, median of 7)`,
  measured.map((m) => ({
    contender: m.name,
    'ns/step': m.nsPerUnit,
    'steps/s': m.unitsPerSecond,
  })),
);
printTable('Speed-up over TF.js cpu (target >= 20)', [speedup]);
const path = writeResult('mlp', {
  benchmark: 'mlp',
  network: `1-${HIDDEN}-1 tanh, squared error, Adam lr ${LR}, one sample per step`,
  unitsPerRound: { ours: OURS_UNITS, tfjs: TFJS_UNITS },
  environment: environment(),
  results: measured,
  speedup,
  sanityPoolMse: {
    tfjsBefore: initialMse.tfjs,
    tfjsAfter: finalMse.tfjs,
    oursAfter: finalMse.ours,
  },
  target: { speedupVsTfjsCpu: 20 },
});
console.log(`\nwrote ${path}`);
