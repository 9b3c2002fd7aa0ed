#!/usr/bin/env node
// `pnpm train`: per-sample training from the terminal.
import { type SessionEvent, trainSession } from '@adamflow/stream';
import { SingleBar } from 'cli-progress';
import { lastValueFrom, tap } from 'rxjs';
import { defaultLr, parseOptions, USAGE, UsageError } from './options.js';

async function main(): Promise<void> {
  // `pnpm train -- --json` passes the separator through; it means nothing here.
  const argv = process.argv.slice(2);
  const options = parseOptions(argv[0] === '--' ? argv.slice(1) : argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
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
          }
        }),
      ),
    );
  } finally {
    clearInterval(timer);
    bar?.update(samples);
    bar?.stop();
  }
  if (end.type !== 'run-end') throw new Error(`unexpected last event ${end.type}`);
  const seconds = (performance.now() - started) / 1000;
  const result = {
    params: end.params,
    samples: end.samples,
    loss,
    steps: end.step,
    optimizer: options.optimizer,
    lr,
    source: options.source.kind,
    seed: options.seed,
    batch: options.batch,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const names = end.params.map((_, i) => (i === 0 ? 'bias' : `w${i}`));
  console.log(
    `${options.optimizer} (lr ${lr}) on the ${options.source.kind} stream, seed ${options.seed}, batch ${options.batch}`,
  );
  console.log(`params   ${end.params.map((p, i) => `${names[i]} = ${p.toFixed(6)}`).join(', ')}`);
  console.log(`loss     ${loss.toFixed(6)} (debiased EMA of the prequential loss)`);
  console.log(
    `samples  ${end.samples.toLocaleString('en')} in ${seconds.toFixed(2)} s (${Math.round(end.samples / seconds).toLocaleString('en')} samples/s), ${end.step.toLocaleString('en')} steps`,
  );
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
