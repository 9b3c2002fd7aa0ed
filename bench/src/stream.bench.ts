// Per-sample training of the seed model: our RxJS pipeline against a raw for-loop that
// does the same maths with the same PRNG and the same Adam, per sample and with
// minibatches of 32. Writes bench/results/stream.json.
import { Adam } from '@adamflow/core';
import {
  batchedSource,
  linearRegression,
  linearSource,
  linearSpec,
  Random,
  type Sample,
  type SampleBatch,
  trainOnline,
} from '@adamflow/stream';
import { lastValueFrom, type Observable, take } from 'rxjs';
import { environment, measure, printTable, writeResult } from './harness.js';

const SAMPLES = Number(process.env['ADAMFLOW_BENCH_SAMPLES'] ?? 1_000_000);
const LR = 0.01;
const WINDOW = 100;
const EMA = 0.99;

/**
 * The raw loop: the seed stream's draws (x = 2u, y = 4 + 3x + n), prediction, squared
 * error, the same prequential metrics (rolling MSE/MAE over 100 samples, loss EMA),
 * the gradient, averaged over `batch` samples, and Adam.step. No RxJS, no objects.
 */
function rawLoop(samples: number, batch: number): Float64Array {
  const random = new Random(42);
  const params = new Float64Array(2);
  const opt = new Adam(params, { lr: LR });
  const grad = new Float64Array(2);
  const squares = new Float64Array(WINDOW);
  const absolutes = new Float64Array(WINDOW);
  let sumSquares = 0;
  let sumAbsolutes = 0;
  let slot = 0;
  let ema = 0;
  let pending = 0;
  for (let i = 0; i < samples; i++) {
    const x = 2 * random.uniform();
    const y = 4 + 3 * x + random.normal();
    const error = params[0]! + params[1]! * x - y;
    const loss = error * error;
    sumSquares += loss - squares[slot]!;
    sumAbsolutes += Math.abs(error) - absolutes[slot]!;
    squares[slot] = loss;
    absolutes[slot] = Math.abs(error);
    slot = slot + 1 === WINDOW ? 0 : slot + 1;
    ema = EMA * ema + (1 - EMA) * loss;
    const r = (2 * error) / batch;
    grad[0]! += r;
    grad[1]! += r * x;
    if (++pending === batch) {
      opt.step(grad);
      grad[0] = 0;
      grad[1] = 0;
      pending = 0;
    }
  }
  if (!(sumSquares + sumAbsolutes + ema >= 0)) throw new Error('unreachable');
  return params;
}

function pipeline(samples: number, batch: number, output: 'view' | 'copy', batched = false) {
  const source: Observable<Sample | SampleBatch> = batched
    ? batchedSource(linearSpec({ seed: 42 }), batch).pipe(take(Math.ceil(samples / batch)))
    : linearSource({ seed: 42 }).pipe(take(samples));
  return lastValueFrom(
    source.pipe(
      trainOnline({
        model: linearRegression(),
        optimizer: (params) => new Adam(params, { lr: LR }),
        batchSize: batch,
        window: WINDOW,
        emaBeta: EMA,
        output,
      }),
    ),
  );
}

const contenders = [
  { name: 'raw loop, per sample', run: (n: number) => rawLoop(n, 1) },
  { name: 'pipeline, per sample (view)', run: (n: number) => pipeline(n, 1, 'view') },
  { name: 'pipeline, per sample (copy)', run: (n: number) => pipeline(n, 1, 'copy') },
  { name: 'raw loop, minibatch 32', run: (n: number) => rawLoop(n, 32) },
  {
    name: 'pipeline, minibatch 32, batched source',
    run: (n: number) => pipeline(n, 32, 'copy', true),
  },
  {
    name: 'pipeline, minibatch 32, per-sample source',
    run: (n: number) => pipeline(n, 32, 'copy'),
  },
];

// Both must land on the same parameters: the comparison is of equal work.
const raw = rawLoop(200_000, 1);
const piped = (await pipeline(200_000, 1, 'copy')).params;
const raw32 = rawLoop(200_000, 32);
const piped32 = (await pipeline(200_000, 32, 'copy', true)).params;
if (
  raw[0] !== piped[0] ||
  raw[1] !== piped[1] ||
  raw32[0] !== piped32[0] ||
  raw32[1] !== piped32[1]
) {
  throw new Error(`raw loop and pipeline disagree: ${raw} vs ${piped}, ${raw32} vs ${piped32}`);
}

const results = await measure(contenders, SAMPLES, 5);
const byName = new Map(results.map((r) => [r.name, r]));
const ratio = (a: string, b: string) => byName.get(b)!.nsPerUnit / byName.get(a)!.nsPerUnit;
const ratios = {
  perSampleView: ratio('pipeline, per sample (view)', 'raw loop, per sample'),
  perSampleCopy: ratio('pipeline, per sample (copy)', 'raw loop, per sample'),
  minibatch32: ratio('pipeline, minibatch 32, batched source', 'raw loop, minibatch 32'),
  minibatch32PerSampleSource: ratio(
    'pipeline, minibatch 32, per-sample source',
    'raw loop, minibatch 32',
  ),
};
printTable(
  `Per-sample training, seed model, ${SAMPLES} samples (median of 5 rounds)`,
  results.map((r) => ({
    contender: r.name,
    'ns/sample': r.nsPerUnit,
    'samples/s': r.unitsPerSecond,
  })),
);
printTable(
  'Pipeline speed as a fraction of its raw loop (target: per sample >= 0.5, minibatch >= 0.8)',
  [
    { case: 'per sample, view', ratio: ratios.perSampleView },
    { case: 'per sample, copy', ratio: ratios.perSampleCopy },
    { case: 'minibatch 32, batched source', ratio: ratios.minibatch32 },
    { case: 'minibatch 32, per-sample source', ratio: ratios.minibatch32PerSampleSource },
  ],
);
const path = writeResult('stream', {
  benchmark: 'stream',
  samples: SAMPLES,
  environment: environment(),
  results,
  ratios,
  targets: { perSample: 0.5, minibatch32: 0.8 },
});
console.log(`\nwrote ${path}`);
