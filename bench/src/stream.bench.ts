// Per-sample training of the seed model: our RxJS pipeline against a raw for-loop that
// does the same maths with the same PRNG and the same Adam, per sample and with
// minibatches of 32. Writes bench/results/stream.json.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Adam } from '@adamflow/core';
import {
  batchedSource,
  createGenerator,
  Learner,
  linearRegression,
  linearSource,
  linearSpec,
  Random,
  type Sample,
  type SampleBatch,
  trainOnline,
} from '@adamflow/stream';
import { lastValueFrom, type Observable, take } from 'rxjs';
import {
  environment,
  type Measurement,
  measure,
  median,
  printTable,
  writeResult,
} from './harness.js';

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

/** `block`: samples per source emission (a `batchedSource`), or 0 for one sample each. */
function pipeline(samples: number, batch: number, output: 'view' | 'copy', block = 0) {
  const source: Observable<Sample | SampleBatch> = block
    ? batchedSource(linearSpec({ seed: 42 }), block).pipe(take(Math.ceil(samples / block)))
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

/**
 * The pieces of the minibatch comparison, timed alone: why the pipeline cannot reach
 * the raw loop. The raw loop's arithmetic runs in the shadow of the PRNG's long
 * dependency chains (it costs little more than its draws alone), whereas a pipeline
 * draws a batch, hands it on, and then reads it back in a second pass.
 */
function components(samples: number) {
  const spec = linearSpec({ seed: 42 });
  const stored = createGenerator(spec).nextBatch(samples);
  const batches = Array.from({ length: Math.ceil(samples / 32) }, (_, b) => {
    const count = Math.min(32, samples - 32 * b);
    const rows = stored.x.subarray(32 * b, 32 * b + count);
    return { ...stored, count, x: rows, y: stored.y.subarray(32 * b, 32 * b + count) };
  });
  return [
    {
      name: "the raw loop's PRNG draws alone",
      run: (n: number) => {
        const random = new Random(42);
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const x = 2 * random.uniform();
          sum += 4 + 3 * x + random.normal();
        }
        return sum;
      },
    },
    {
      name: 'batchedSource(32) alone (draws + RxJS)',
      run: (n: number) => lastValueFrom(batchedSource(spec, 32).pipe(take(Math.ceil(n / 32)))),
    },
    {
      // The raw loop with its two draws replaced by reads of the stored samples.
      name: "the raw loop's arithmetic on stored samples",
      run: (n: number) => {
        const params = new Float64Array(2);
        const opt = new Adam(params, { lr: LR });
        const grad = new Float64Array(2);
        const squares = new Float64Array(WINDOW);
        const absolutes = new Float64Array(WINDOW);
        const { x: xs, y: ys } = stored;
        let sumSquares = 0;
        let sumAbsolutes = 0;
        let slot = 0;
        let ema = 0;
        let pending = 0;
        for (let i = 0; i < n; i++) {
          const x = xs[i]!;
          const error = params[0]! + params[1]! * x - ys[i]!;
          const loss = error * error;
          sumSquares += loss - squares[slot]!;
          sumAbsolutes += Math.abs(error) - absolutes[slot]!;
          squares[slot] = loss;
          absolutes[slot] = Math.abs(error);
          slot = slot + 1 === WINDOW ? 0 : slot + 1;
          ema = EMA * ema + (1 - EMA) * loss;
          const r = (2 * error) / 32;
          grad[0]! += r;
          grad[1]! += r * x;
          if (++pending === 32) {
            opt.step(grad);
            grad[0] = 0;
            grad[1] = 0;
            pending = 0;
          }
        }
        return sumSquares + sumAbsolutes + ema;
      },
    },
    {
      name: 'Learner.learnBatch on stored batches',
      run: (n: number) => {
        const learner = new Learner({
          model: linearRegression(),
          optimizer: (params) => new Adam(params, { lr: LR }),
          batchSize: 32,
          window: WINDOW,
          emaBeta: EMA,
        });
        for (let b = 0; b < Math.ceil(n / 32); b++) learner.learnBatch(batches[b]!);
        return learner.params;
      },
    },
  ];
}

// Each comparison runs in its own process: V8 specializes code to the shapes it has
// seen, and a process that runs minibatch pipelines (typed-array rows) makes the
// per-sample pipeline's call sites polymorphic, which no single-mode user program
// would see. Inside each process the raw loop and the pipeline alternate round-robin.
const CASES = {
  'per-sample-view': [
    { name: 'raw loop, per sample', run: (n: number) => rawLoop(n, 1) },
    { name: 'pipeline, per sample (view)', run: (n: number) => pipeline(n, 1, 'view') },
  ],
  'per-sample-copy': [
    { name: 'raw loop, per sample', run: (n: number) => rawLoop(n, 1) },
    { name: 'pipeline, per sample (copy)', run: (n: number) => pipeline(n, 1, 'copy') },
  ],
  'minibatch-batched': [
    { name: 'raw loop, minibatch 32', run: (n: number) => rawLoop(n, 32) },
    {
      name: 'pipeline, minibatch 32, batched source',
      run: (n: number) => pipeline(n, 32, 'copy', 32),
    },
    {
      name: 'pipeline, minibatch 32, batched source (view)',
      run: (n: number) => pipeline(n, 32, 'view', 32),
    },
    {
      // The same minibatches from blocks of 800 samples: per-emission costs amortized.
      name: 'pipeline, minibatch 32, batched source, blocks of 800 (view)',
      run: (n: number) => pipeline(n, 32, 'view', 800),
    },
  ],
  'minibatch-per-sample': [
    { name: 'raw loop, minibatch 32', run: (n: number) => rawLoop(n, 32) },
    {
      name: 'pipeline, minibatch 32, per-sample source',
      run: (n: number) => pipeline(n, 32, 'copy'),
    },
  ],
  // Built only in its own child: it stores a million samples first.
  'minibatch-components': () => [
    { name: 'raw loop, minibatch 32', run: (n: number) => rawLoop(n, 32) },
    ...components(SAMPLES),
  ],
} as const;

const only = process.argv[2] as keyof typeof CASES | undefined;
if (only) {
  // Child: both must land on the same parameters (the comparison is of equal work).
  const batch = only.startsWith('per-sample') ? 1 : 32;
  const raw = rawLoop(200_000, batch);
  const block = only.startsWith('minibatch-b') ? 800 : 0;
  const piped = (await pipeline(200_000, batch, 'copy', block)).params;
  if (raw[0] !== piped[0] || raw[1] !== piped[1]) {
    throw new Error(`raw loop and pipeline disagree: ${raw} vs ${piped}`);
  }
  // V8 keeps re-optimizing a pipeline's call chain for several million samples (the
  // first rounds of a cold process run up to twice as slow): warm up with full rounds,
  // then measure the steady state of both.
  const contenders = CASES[only];
  const measured = await measure(
    typeof contenders === 'function' ? contenders() : [...contenders],
    SAMPLES,
    9,
    4,
  );
  process.stdout.write(`${JSON.stringify(measured)}\n`);
  process.exit(0);
}

const results: Measurement[] = [];
const ratios: Record<string, number> = {};
for (const name of Object.keys(CASES) as (keyof typeof CASES)[]) {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), name],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 600_000,
    },
  );
  if (child.status !== 0) throw new Error(`benchmark case ${name} failed`);
  const measured = JSON.parse(child.stdout) as Measurement[];
  const [raw, ...pipelines] = measured;
  if (name === 'minibatch-components') pipelines.length = 0;
  // The ratio is the median of per-round ratios: the raw loop and the pipeline run
  // back to back in each round, so a slow spell of this shared machine hits both.
  for (const m of pipelines) {
    ratios[m.name] = median(m.rounds.map((ns, round) => raw!.rounds[round]! / ns));
  }
  results.push(...measured.map((m) => ({ ...m, name: `${m.name} [${name}]` })));
}
printTable(
  `Per-sample training, seed model, ${SAMPLES} samples (4 warm-up rounds, median of 9, each comparison in its own process)`,
  results.map((r) => ({
    contender: r.name,
    'ns/sample': r.nsPerUnit,
    'samples/s': r.unitsPerSecond,
  })),
);
printTable(
  "Pipeline speed as a fraction of its raw loop, median of the 9 rounds' ratios (target: per sample >= 0.5, minibatch >= 0.8)",
  Object.entries(ratios).map(([name, ratio]) => ({ case: name, ratio })),
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
