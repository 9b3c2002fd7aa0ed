#!/usr/bin/env node
// `pnpm train`: per-sample training from the terminal.
import { type SessionEvent, StreamError, trainSession } from '@adamflow/stream';
import { SingleBar } from 'cli-progress';
import { lastValueFrom, tap } from 'rxjs';
import { parseFlags } from './args.js';
import { dataOptions } from './data-options.js';
import { DivergenceWatch } from './divergence-watch.js';
import { defaultLr, synthetic, TRAIN_FLAGS, USAGE, UsageError } from './options.js';
import { mainRace } from './race.js';
import { trainOnData } from './train-data.js';

async function main(): Promise<void> {
  const values = parseFlags(process.argv.slice(2), TRAIN_FLAGS);
  if (values['help'] === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (values['race'] !== undefined) {
    mainRace(values);
    return;
  }
  if (values['data'] !== undefined) {
    await mainData(values);
    return;
  }
  const options = synthetic(values);
  const lr = options.lr ?? defaultLr(options.optimizer);
  const started = performance.now();
  let samples = 0;
  let loss = Number.NaN;
  // The bar goes to stderr and only on a terminal, so stdout stays clean for --json.
  const bar = process.stderr.isTTY
    ? new SingleBar({
        stream: process.stderr,
        format:
          'training |{bar}| {percentage}% {value}/{total} samples | {speed} samples/s | loss {loss}',
        hideCursor: true,
        barsize: 30,
      })
    : undefined;
  bar?.start(options.samples, 0, { speed: '0', loss: '-' });
  const timer = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    bar?.update(samples, {
      speed: Math.round(samples / seconds).toLocaleString('en'),
      loss: loss.toFixed(4),
    });
  }, 100);
  let end: SessionEvent;
  const watch = new DivergenceWatch();
  try {
    end = await lastValueFrom(
      trainSession({
        source: options.source,
        optimizer: options.optimizer,
        lr,
        batchSize: options.batch,
        samples: options.samples,
        output: 'view',
      }).pipe(
        tap((event) => {
          if (event.type === 'params-update') {
            samples = event.samples;
            loss = event.metrics.lossEma;
            watch.observe(loss);
          }
        }),
      ),
    );
  } catch (error) {
    throw (error as { code?: unknown }).code === 'ADAMFLOW_ERR_NON_FINITE_GRADIENT'
      ? new StreamError(
          'ADAMFLOW_ERR_DIVERGED',
          `training diverged after ${samples} samples: the gradient is no longer finite; lower --lr`,
        )
      : error;
  } finally {
    clearInterval(timer);
    bar?.update(samples);
    bar?.stop();
  }
  if (end.type !== 'run-end') throw new Error(`unexpected last event ${end.type}`);
  watch.check(loss, end.params);
  const seconds = (performance.now() - started) / 1000;
  const result = {
    params: end.params,
    samples: end.samples,
    loss,
    steps: end.step,
    optimizer: options.optimizer,
    lr,
    source: options.sourceName,
    seed: options.seed,
    batch: options.batch,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const names = end.params.map((_, i) => (i === 0 ? 'bias' : `w${i}`));
  console.log(
    `${options.optimizer} (lr ${lr}) on the ${options.sourceName} stream, seed ${options.seed}, batch ${options.batch}`,
  );
  console.log(`params   ${end.params.map((p, i) => `${names[i]} = ${p.toFixed(6)}`).join(', ')}`);
  console.log(`loss     ${loss.toFixed(6)} (debiased EMA of the prequential loss)`);
  console.log(
    `samples  ${end.samples.toLocaleString('en')} in ${seconds.toFixed(2)} s (${Math.round(end.samples / seconds).toLocaleString('en')} samples/s), ${end.step.toLocaleString('en')} steps`,
  );
}

/** `--data FILE`: progressive validation on the user's file. */
async function mainData(values: Record<string, string | boolean | undefined>): Promise<void> {
  const options = dataOptions(values);
  const result = await trainOnData(options);
  if (options.json) {
    const { samples, params, metrics, skipped } = result;
    process.stdout.write(`${JSON.stringify({ samples, params, metrics, skipped })}\n`);
    return;
  }
  console.log(`${options.model} on ${options.data} (target ${options.target})`);
  if (options.model === 'softmax' || options.model === 'mlp') {
    // Too many to read here: say how many, and where to get them.
    console.log(`params   ${result.params.length} numbers (--json prints them)`);
  } else {
    const names = result.params.map((_, i) => (i === 0 ? 'bias' : `w${i}`));
    console.log(
      `params   ${result.params.map((p, i) => `${names[i]} = ${p.toFixed(6)}`).join(', ')}`,
    );
  }
  for (const [name, value] of Object.entries(result.metrics)) {
    console.log(`${name.padEnd(8)} ${value.toFixed(6)} (progressive validation)`);
  }
  console.log(
    `samples  ${result.samples.toLocaleString('en')} in ${result.seconds.toFixed(2)} s${result.skipped ? `, ${result.skipped} bad rows skipped` : ''}`,
  );
  if (options.checkpoint) console.log(`checkpoint written to ${options.checkpoint}`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`adamflow-train: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const code = (error as { code?: string }).code;
  process.stderr.write(`adamflow-train: ${(error as Error).message}${code ? ` (${code})` : ''}\n`);
  process.exit(1);
});
