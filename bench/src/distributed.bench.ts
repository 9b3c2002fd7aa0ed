// Training through NATS JetStream against training in process, side by side in one
// run: samples/s of the in-process learner on the seed's samples, of `adamflow
// trainer` reading the same samples from a session's stream (after `adamflow
// produce --batch-samples K`), reading on its training thread (the default) and with
// `--reader thread` (in a worker thread of its own), and gradients/s applied by `adamflow trainer
// --gradients` fed by one and by two `adamflow worker`s (and by two with `--ahead 4`,
// up to four gradients in flight each), for the seed's 2-parameter model and for an
// MLP of about 1e5 parameters (`--model mlp --hidden 300,300`: 91,201). The
// in-process learner learns the very batches the messages hold (the same seed and
// batch size, generated beforehand, after a warm-up pass), through the same
// `learnBatch`; the same loop with the generator inside it (as a single-process
// trainer makes its samples) is reported beside it. The commands run as a person
// runs them (built, one process each)
// against a `nats-server -js` started here; each contender runs `ROUNDS` times on
// fresh sessions and its median is kept. Bounded in time: every process is killed
// after `LIMIT_MS`. Writes bench/results/distributed.json.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  createGenerator,
  Learner,
  linearRegression,
  linearSpec,
  type SampleBatch,
} from '@adamflow/stream';
import { environment, median, printTable, writeResult } from './harness.js';
import { startNats } from './nats-server.js';

const SAMPLES = Number(process.env['ADAMFLOW_BENCH_SAMPLES'] ?? 1_000_000);
/** Samples per input message (`produce --batch-samples`), and per in-process `learnBatch`. */
const MESSAGE_SAMPLES = Number(process.env['ADAMFLOW_BENCH_MESSAGE_SAMPLES'] ?? 4096);
/** The same again with produce's default message size, on fewer samples. */
const SMALL_SAMPLES = Number(process.env['ADAMFLOW_BENCH_SMALL_SAMPLES'] ?? 200_000);
const SMALL_MESSAGE_SAMPLES = 256;
/** Gradients per gradient run; 0 skips the gradient runs. */
const GRADIENTS = Number(process.env['ADAMFLOW_BENCH_GRADIENTS'] ?? 400);
const MLP_GRADIENTS = Number(process.env['ADAMFLOW_BENCH_MLP_GRADIENTS'] ?? 32);
/** The MLP of the 1e5-parameter rows: 1 input, 300 and 300 tanh units, 1 output. */
const MLP_FLAGS = ['--model', 'mlp', '--hidden', '300,300'];
const MLP_PARAMETERS = 300 * 2 + 300 * 301 + 301;
const ROUNDS = Number(process.env['ADAMFLOW_BENCH_ROUNDS'] ?? 3);
const SEED = 42;
const LIMIT_MS = 120_000;

const require = createRequire(import.meta.url);
const distributed = dirname(require.resolve('@adamflow/distributed/package.json'));
const ADAMFLOW = join(distributed, 'dist', 'main.js');

/** Runs a command to its end; resolves with its JSON event lines and their arrival times. */
function command(args: string[]): {
  child: ChildProcess;
  done: Promise<Array<{ at: number; event: Record<string, unknown> }>>;
} {
  const child = spawn(process.execPath, [ADAMFLOW, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Array<{ at: number; event: Record<string, unknown> }> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const at = performance.now();
    try {
      events.push({ at, event: JSON.parse(line) as Record<string, unknown> });
    } catch {
      // Not an event line (the non-JSON commands print sentences).
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const done = new Promise<Array<{ at: number; event: Record<string, unknown> }>>(
    (resolve, reject) => {
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0 || signal === 'SIGTERM') resolve(events);
        else reject(new Error(`adamflow ${args[0]} ended with ${code ?? signal}: ${stderr}`));
      });
    },
  );
  return { child, done };
}

type Events = Array<{ at: number; event: Record<string, unknown> }>;

/** Seconds from the trainer's event `from` to its `done` (the last checkpoint stored). */
function secondsToDone(events: Events, from = 'resumed'): number {
  const start = events.find((e) => e.event['event'] === from)!.at;
  const end = events.find((e) => e.event['event'] === 'done')!.at;
  return (end - start) / 1000;
}

/** The seed's first `samples` samples in batches of `batchSamples` (as the messages hold them). */
function seedBatches(samples: number, batchSamples: number): SampleBatch[] {
  const generator = createGenerator(linearSpec({ seed: SEED }));
  const batches: SampleBatch[] = [];
  for (let left = samples; left > 0; left -= batchSamples) {
    batches.push(generator.nextBatch(Math.min(batchSamples, left)));
  }
  return batches;
}

/** The trainer's learner, as `adamflow trainer` makes it with the default options. */
function seedLearner(): Learner {
  const learner = new Learner({ model: linearRegression(), optimizer: 'adam' });
  learner.optimizer.set({ lr: 0.01 });
  return learner;
}

/** Samples/s of a fresh learner through `learnBatch` on batches made beforehand. */
function inProcess(batches: SampleBatch[]): number {
  const learner = seedLearner();
  const start = performance.now();
  for (const batch of batches) learner.learnBatch(batch);
  return learner.samples / ((performance.now() - start) / 1000);
}

/** The same with the generator in the loop, as a single-process trainer makes its samples. */
function inProcessGenerating(samples: number, batchSamples: number): number {
  const learner = seedLearner();
  const generator = createGenerator(linearSpec({ seed: SEED }));
  const start = performance.now();
  for (let left = samples; left > 0; left -= batchSamples) {
    learner.learnBatch(generator.nextBatch(Math.min(batchSamples, left)));
  }
  return samples / ((performance.now() - start) / 1000);
}

async function throughJetStream(
  url: string,
  session: string,
  samples: number,
  batchSamples: number,
  reader: 'thread' | 'inline' = 'inline',
) {
  const nats = ['--nats', url, '--session', session];
  const produceStart = performance.now();
  await command([
    ...['produce', ...nats, '--seed', String(SEED), '--samples', String(samples)],
    ...['--batch-samples', String(batchSamples)],
  ]).done;
  const produceSeconds = (performance.now() - produceStart) / 1000;
  const trainerStart = performance.now();
  const events = await command([
    ...['trainer', '--json', ...nats, '--until', String(samples), '--reader', reader],
  ]).done;
  const wall = (performance.now() - trainerStart) / 1000;
  return {
    produce: samples / produceSeconds,
    trainer: samples / secondsToDone(events, 'reading'),
    trainerFromResumed: samples / secondsToDone(events),
    trainerWithStart: samples / wall,
  };
}

async function gradients(
  url: string,
  session: string,
  workers: number,
  ahead = 1,
  model: string[] = [],
  count = GRADIENTS,
) {
  const nats = ['--nats', url, '--session', session];
  await command(['produce', ...nats, '--seed', String(SEED), '--samples', String(count * 256)])
    .done;
  const running = Array.from({ length: workers }, () =>
    command(['worker', '--json', ...nats, '--ahead', String(ahead), ...model]),
  );
  // Workers ready first, so the figure is the steady state, not their start-up.
  await Promise.all(
    running.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          createInterface({ input: child.stdout! }).once('line', () => resolve());
        }),
    ),
  );
  const trainer = command([
    ...['trainer', '--gradients', '--json', ...nats, ...model],
    ...['--until', String(count * 256)],
  ]);
  const events = await trainer.done;
  for (const { child } of running) child.kill('SIGTERM');
  await Promise.all(running.map(({ done }) => done));
  const done = events.find((e) => e.event['event'] === 'done')!.event;
  return {
    perSecond: count / secondsToDone(events),
    applied: Number(done['applied']),
    stale: Number(done['stale']),
  };
}

/** Gradients/s of the ~1e5-parameter MLP with one and with two workers. */
async function mlpGradients(url: string, round: number): Promise<Record<string, number>> {
  const one = await gradients(url, `bench-mlp-1-${round}`, 1, 1, MLP_FLAGS, MLP_GRADIENTS);
  const two = await gradients(url, `bench-mlp-2-${round}`, 2, 1, MLP_FLAGS, MLP_GRADIENTS);
  return {
    mlpGradients1: one.perSecond,
    mlpGradients2: two.perSecond,
    mlpStale1: one.stale,
    mlpStale2: two.stale,
  };
}

const server = await startNats();
const rows: Array<Record<string, number>> = [];
try {
  const batches = seedBatches(SAMPLES, MESSAGE_SAMPLES);
  const smallBatches = seedBatches(SMALL_SAMPLES, SMALL_MESSAGE_SAMPLES);
  // Warm-up: every loop measured below, once.
  inProcess(batches);
  inProcess(smallBatches);
  inProcessGenerating(SAMPLES, MESSAGE_SAMPLES);
  for (let round = 0; round < ROUNDS; round++) {
    const local = inProcess(batches);
    const generating = inProcessGenerating(SAMPLES, MESSAGE_SAMPLES);
    const jet = await throughJetStream(
      server.url,
      `bench-samples-${round}`,
      SAMPLES,
      MESSAGE_SAMPLES,
    );
    const threaded = await throughJetStream(
      server.url,
      `bench-samples-thread-${round}`,
      SAMPLES,
      MESSAGE_SAMPLES,
      'thread',
    );
    const smallLocal = inProcess(smallBatches);
    const small = await throughJetStream(
      server.url,
      `bench-samples-small-${round}`,
      SMALL_SAMPLES,
      SMALL_MESSAGE_SAMPLES,
    );
    const smallThreaded = await throughJetStream(
      server.url,
      `bench-samples-small-thread-${round}`,
      SMALL_SAMPLES,
      SMALL_MESSAGE_SAMPLES,
      'thread',
    );
    const skipped = { perSecond: Number.NaN, applied: 0, stale: Number.NaN };
    const one =
      GRADIENTS > 0 ? await gradients(server.url, `bench-gradients-1-${round}`, 1) : skipped;
    const two =
      GRADIENTS > 0 ? await gradients(server.url, `bench-gradients-2-${round}`, 2) : skipped;
    const ahead =
      GRADIENTS > 0
        ? await gradients(server.url, `bench-gradients-2-ahead-${round}`, 2, 4)
        : skipped;
    rows.push({
      inProcess: local,
      inProcessGenerating: generating,
      produce: jet.produce,
      trainer: jet.trainer,
      trainerFromResumed: jet.trainerFromResumed,
      trainerWithStart: jet.trainerWithStart,
      trainerThread: threaded.trainer,
      trainerThreadWithStart: threaded.trainerWithStart,
      smallInProcess: smallLocal,
      smallProduce: small.produce,
      smallTrainer: small.trainer,
      smallTrainerWithStart: small.trainerWithStart,
      smallTrainerThread: smallThreaded.trainer,
      gradients1: one.perSecond,
      gradients2: two.perSecond,
      gradients2ahead4: ahead.perSecond,
      stale1: one.stale,
      stale2: two.stale,
      stale2ahead4: ahead.stale,
      ...(await mlpGradients(server.url, round)),
    });
  }
} finally {
  await server.stop();
}

const med = (key: string) => median(rows.map((row) => row[key]!));
const samples = {
  inProcessPerSecond: med('inProcess'),
  inProcessGeneratingPerSecond: med('inProcessGenerating'),
  producePerSecond: med('produce'),
  trainerPerSecond: med('trainer'),
  trainerFromResumedPerSecond: med('trainerFromResumed'),
  trainerWithProcessStartPerSecond: med('trainerWithStart'),
  trainerThreadReaderPerSecond: med('trainerThread'),
  trainerThreadReaderWithProcessStartPerSecond: med('trainerThreadWithStart'),
};
const smallMessages = {
  inProcessPerSecond: med('smallInProcess'),
  producePerSecond: med('smallProduce'),
  trainerPerSecond: med('smallTrainer'),
  trainerWithProcessStartPerSecond: med('smallTrainerWithStart'),
  trainerThreadReaderPerSecond: med('smallTrainerThread'),
};
const gradientRows = {
  oneWorkerPerSecond: med('gradients1'),
  twoWorkersPerSecond: med('gradients2'),
  twoWorkersAhead4PerSecond: med('gradients2ahead4'),
  oneWorkerStale: med('stale1'),
  twoWorkersStale: med('stale2'),
  twoWorkersAhead4Stale: med('stale2ahead4'),
  mlpParameters: MLP_PARAMETERS,
  mlpOneWorkerPerSecond: med('mlpGradients1'),
  mlpTwoWorkersPerSecond: med('mlpGradients2'),
  mlpOneWorkerStale: med('mlpStale1'),
  mlpTwoWorkersStale: med('mlpStale2'),
};
// Each ratio is a median over rounds of the per-round ratio (both sides measured together).
const ratio = (over: string, under: string) => median(rows.map((row) => row[over]! / row[under]!));
const ratios = {
  trainerToInProcess: ratio('trainer', 'inProcess'),
  trainerToInProcessGenerating: ratio('trainer', 'inProcessGenerating'),
  trainerWithProcessStartToInProcess: ratio('trainerWithStart', 'inProcess'),
  trainerThreadReaderToInProcess: ratio('trainerThread', 'inProcess'),
  trainerThreadReaderToInProcessGenerating: ratio('trainerThread', 'inProcessGenerating'),
  trainerThreadReaderToInline: ratio('trainerThread', 'trainer'),
  smallMessagesThreadReaderToInline: ratio('smallTrainerThread', 'smallTrainer'),
  smallMessagesTrainerToInProcess: ratio('smallTrainer', 'smallInProcess'),
  twoWorkersToOne: gradientRows.twoWorkersPerSecond / gradientRows.oneWorkerPerSecond,
  twoWorkersAhead4ToOne: gradientRows.twoWorkersAhead4PerSecond / gradientRows.oneWorkerPerSecond,
  mlpTwoWorkersToOne: gradientRows.mlpTwoWorkersPerSecond / gradientRows.mlpOneWorkerPerSecond,
};
printTable(`samples/s (seed source, adam, batch 1, ${MESSAGE_SAMPLES} samples per message)`, [
  {
    'in process': samples.inProcessPerSecond,
    'in process, generating': samples.inProcessGeneratingPerSecond,
    produce: samples.producePerSecond,
    'trainer (JetStream)': samples.trainerPerSecond,
    'trainer, --reader thread': samples.trainerThreadReaderPerSecond,
    'trainer from resumed': samples.trainerFromResumedPerSecond,
    'trainer incl. start': samples.trainerWithProcessStartPerSecond,
    'trainer / in process': ratios.trainerToInProcess,
    'trainer / generating': ratios.trainerToInProcessGenerating,
  },
]);
printTable(`samples/s with ${SMALL_MESSAGE_SAMPLES} samples per message (produce's default)`, [
  {
    'in process': smallMessages.inProcessPerSecond,
    produce: smallMessages.producePerSecond,
    'trainer (JetStream)': smallMessages.trainerPerSecond,
    'trainer, --reader thread': smallMessages.trainerThreadReaderPerSecond,
    'trainer incl. start': smallMessages.trainerWithProcessStartPerSecond,
    'trainer / in process': ratios.smallMessagesTrainerToInProcess,
  },
]);
printTable('gradients/s applied by trainer --gradients (one per 256-sample message)', [
  {
    '1 worker': gradientRows.oneWorkerPerSecond,
    '2 workers': gradientRows.twoWorkersPerSecond,
    '2 / 1': ratios.twoWorkersToOne,
    '2, --ahead 4': gradientRows.twoWorkersAhead4PerSecond,
    '(2, ahead 4) / 1': ratios.twoWorkersAhead4ToOne,
    'stale (1)': gradientRows.oneWorkerStale,
    'stale (2)': gradientRows.twoWorkersStale,
    'stale (2, ahead 4)': gradientRows.twoWorkersAhead4Stale,
  },
]);
printTable(`gradients/s of an MLP of ${MLP_PARAMETERS} parameters (--hidden 300,300)`, [
  {
    '1 worker': gradientRows.mlpOneWorkerPerSecond,
    '2 workers': gradientRows.mlpTwoWorkersPerSecond,
    '2 / 1': ratios.mlpTwoWorkersToOne,
    'stale (1)': gradientRows.mlpOneWorkerStale,
    'stale (2)': gradientRows.mlpTwoWorkersStale,
  },
]);
const path = writeResult('distributed', {
  environment: environment(),
  config: {
    samples: SAMPLES,
    samplesPerMessage: MESSAGE_SAMPLES,
    smallSamples: SMALL_SAMPLES,
    smallSamplesPerMessage: SMALL_MESSAGE_SAMPLES,
    gradients: GRADIENTS,
    mlpGradients: MLP_GRADIENTS,
    rounds: ROUNDS,
  },
  samples,
  smallMessages,
  gradients: gradientRows,
  ratios,
  rounds: rows,
});
console.log(`\nwrote ${path}`);
