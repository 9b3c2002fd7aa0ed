import { readFileSync, statSync, writeFileSync } from 'node:fs';
import {
  type Checkpoint,
  createCheckpoint,
  createMetric,
  fromCsv,
  LabelEncoder,
  type Metric,
  type Model,
  minMaxScaler,
  oneHot,
  type Pipeline,
  pipeline,
  progressiveValidation,
  type Row,
  restoreCheckpoint,
  type StageSpec,
  StreamError,
  standardScaler,
  type TargetType,
  type ValidationReport,
} from '@adamflow/stream';
import { SingleBar } from 'cli-progress';
import { UsageError } from './args.js';
import type { DataOptions } from './data-options.js';
import { DivergenceWatch } from './divergence-watch.js';
import { MODELS } from './models.js';

/** What the CLI adds to a checkpoint: how it read the file. */
export interface CliCheckpoint extends Checkpoint {
  data: { target: string; targetType: TargetType; categorical: string[]; features: string[] };
}

/** The result of training on a file. */
export interface DataResult {
  samples: number;
  params: number[];
  metrics: Record<string, number>;
  skipped: number;
  seconds: number;
}

/**
 * Trains a pipeline on a CSV file by progressive validation (each row scored, then
 * learned), resuming from a checkpoint if asked and writing one at the end if asked.
 *
 * @param options - the validated flags.
 * @returns the run's result.
 */
export async function trainOnData(options: DataOptions): Promise<DataResult> {
  const started = performance.now();
  const resumed = options.resume ? readCheckpoint(options.resume) : null;
  if (resumed && resumed.data.target !== options.target) {
    throw new UsageError(
      `--target ${JSON.stringify(options.target)} differs from the checkpoint's ${JSON.stringify(resumed.data.target)}`,
    );
  }
  const restored = resumed ? restoreCheckpoint(resumed) : null;
  // A classifier's label past its K-th (2 with one output) is refused where it is read.
  const classes = restored ? classesOf(restored.pipeline.model) : classesOfFamily(options);
  const read = resumed?.data ?? {
    target: options.target,
    targetType: options.targetType,
    categorical: options.categorical,
    features: [] as string[],
  };
  // The model refuses some targets (a negative count for poisson): bad rows, read as such.
  const probe = restored?.pipeline.model ?? MODELS[options.model]!.create(1, options.shape);
  const checkTarget = probe.checkTarget?.bind(probe);
  const stream = fromCsv(options.data, {
    target: read.target,
    targetType: read.targetType,
    categorical: read.categorical,
    ...(read.features.length ? { features: read.features } : {}),
    ...(restored?.position ? { from: restored.position } : {}),
    ...(restored?.labels
      ? { labels: LabelEncoder.fromState(restored.labels, classes) }
      : classes !== undefined
        ? { labels: new LabelEncoder(classes) }
        : {}),
    ...(checkTarget ? { checkTarget } : {}),
    onBadRow: options.skipBadRows ? 'skip' : 'throw',
  });
  const rows = stream[Symbol.asyncIterator]();
  const first = await rows.next();
  let model: Pipeline;
  let metrics: Metric[];
  if (restored) {
    model = restored.pipeline;
    metrics = restored.metrics;
  } else {
    if (first.done)
      throw new StreamError('ADAMFLOW_ERR_ROW_LENGTH', `${options.data} has no data rows`);
    model = build(options, stream.features);
    metrics = options.metrics.map((name) => createMetric(name));
  }
  const watch = new DivergenceWatch();
  const progress = startProgress(options);
  let report: ValidationReport;
  try {
    report = await progressiveValidation(watched(first, rows, model, watch), model, {
      metrics,
      samples: restored?.samples ?? 0,
      limit: options.limit,
      every: options.every,
      onReport: (r) => progress?.update(r, stream.bytesRead),
    });
  } catch (error) {
    throw tooManyLabels(error, classes);
  } finally {
    progress?.stop();
  }
  watch.check(model.learner.metrics.live.lossEma, model.params);
  if (options.checkpoint) {
    const checkpoint: CliCheckpoint = {
      ...createCheckpoint(model, {
        metrics,
        samples: report.samples,
        position: stream.position(),
        labels: stream.labels?.state() ?? null,
      }),
      data: { ...read, features: [...stream.features] },
    };
    writeFileSync(options.checkpoint, `${JSON.stringify(checkpoint)}\n`);
  }
  return {
    samples: report.samples,
    params: Array.from(model.params),
    metrics: report.metrics,
    skipped: stream.skipped,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The pipeline the flags describe: one-hot, then scaling, then the model. */
function build(options: DataOptions, features: readonly string[]): Pipeline {
  const stages: StageSpec[] = [];
  if (options.categorical.length) {
    const columns = options.categorical.map((name) => features.indexOf(name));
    stages.push(oneHot({ columns, maxCategories: options.maxCategories }));
  }
  if (options.scale === 'standard') stages.push(standardScaler());
  if (options.scale === 'minmax') stages.push(minMaxScaler());
  return pipeline({
    inputs: features.length,
    stages,
    model: (width) => MODELS[options.model]!.create(width, options.shape),
    optimizer: {
      name: options.optimizer,
      options: { ...options.optimizerOptions, lr: options.lr },
      ...(options.interceptLr === undefined ? {} : { interceptLr: options.interceptLr }),
    },
  });
}

function classesOf(model: Model): number | undefined {
  if (model.task !== 'classification') return undefined;
  return Math.max(model.outputs, 2);
}

function classesOfFamily(options: DataOptions): number | undefined {
  if (options.family === 'regression') return undefined;
  return options.family === 'binary' ? 2 : options.shape.classes;
}

/** The label encoder's overflow, said in the CLI's terms. */
function tooManyLabels(error: unknown, classes: number | undefined): unknown {
  if ((error as { code?: unknown })?.code !== 'ADAMFLOW_ERR_CATEGORY_OVERFLOW') return error;
  const label = /label (.*) would be class/.exec((error as Error).message)?.[1] ?? 'a label';
  return new StreamError(
    'ADAMFLOW_ERR_CATEGORY_OVERFLOW',
    `the target column has more than --classes ${String(classes)} labels: ${label} is one too many; pass --classes with the number of distinct labels`,
  );
}

/** The rows, the first one already pulled; shows the watch the loss before each row. */
async function* watched(
  first: IteratorResult<Row>,
  rows: AsyncIterator<Row>,
  model: Pipeline,
  watch: DivergenceWatch,
): AsyncGenerator<Row> {
  // The live view computes the EMA when read, allocating nothing.
  const live = model.learner.metrics.live;
  try {
    for (let next = first; !next.done; next = await rows.next()) {
      watch.observe(live.lossEma);
      yield next.value;
    }
  } finally {
    await rows.return?.();
  }
}

function readCheckpoint(path: string): CliCheckpoint {
  let parsed: CliCheckpoint;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as CliCheckpoint;
  } catch (error) {
    throw new UsageError(`--resume ${path}: ${(error as Error).message}`);
  }
  if (!parsed?.data || typeof parsed.data.target !== 'string') {
    throw new StreamError(
      'ADAMFLOW_ERR_CHECKPOINT_INVALID',
      `--resume ${path}: not a checkpoint written by adamflow-train --checkpoint`,
    );
  }
  return parsed;
}

/** A progress bar over the file's bytes, on stderr, only on a terminal. */
function startProgress(options: DataOptions) {
  if (!process.stderr.isTTY || options.json) return null;
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'training |{bar}| {percentage}% | {samples} rows | {speed} rows/s | {metrics}',
    hideCursor: true,
    barsize: 30,
  });
  const total = statSync(options.data).size;
  const started = performance.now();
  bar.start(total, 0, { samples: 0, speed: 0, metrics: '' });
  return {
    update(report: ValidationReport, bytes: number) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(Math.min(bytes, total), {
        samples: report.samples.toLocaleString('en'),
        speed: Math.round(report.samples / seconds).toLocaleString('en'),
        metrics: Object.entries(report.metrics)
          .map(([name, value]) => `${name} ${value.toFixed(4)}`)
          .join(', '),
      });
    },
    stop() {
      bar.update(total);
      bar.stop();
    },
  };
}
