import { type OptimizerName, optimizerNames } from '@adamflow/core';
import { type MetricName, metricNames, type TargetType } from '@adamflow/stream';
import { integerFlag, positiveFlag, UsageError } from './args.js';
import { FAMILIES, type Family, MODEL_FLAGS, MODELS, type ModelShape } from './models.js';
import { type OptimizerOptionValues, optimizerOptions } from './optimizer-options.js';
import { defaultLr, SEED_MAX } from './options.js';

/** The validated flags of training on a data file. */
export interface DataOptions {
  data: string;
  target: string;
  model: string;
  /** The model flags (--classes, --hidden, --activation, --task, --seed). */
  shape: ModelShape;
  /** What the model predicts. */
  family: Family;
  targetType: TargetType;
  categorical: string[];
  maxCategories: number;
  scale: 'standard' | 'minmax' | null;
  optimizer: OptimizerName;
  lr: number;
  /** --optimizer-options: the optimizer's other options (beyond its library defaults). */
  optimizerOptions: OptimizerOptionValues;
  interceptLr: number | undefined;
  metrics: MetricName[];
  skipBadRows: boolean;
  limit: number;
  checkpoint: string | undefined;
  resume: string | undefined;
  every: number;
  json: boolean;
}

/** Flags a checkpoint fixes: refused with --resume, rather than silently ignored. */
const FIXED_BY_CHECKPOINT = [
  'model',
  'scale',
  'optimizer',
  'lr',
  'optimizer-options',
  'intercept-lr',
  'metrics',
  'categorical',
  'max-categories',
  ...MODEL_FLAGS,
];

/**
 * Validates the flags of training on data.
 *
 * @param values - parsed flags (with `data` set).
 * @returns the options.
 * @throws UsageError saying which flag is wrong and what to pass.
 */
export function dataOptions(values: Record<string, string | boolean | undefined>): DataOptions {
  for (const name of ['samples', 'source', 'batch']) {
    if (values[name] !== undefined) {
      throw new UsageError(
        `--${name} is for synthetic streams; with --data the file sets the samples`,
      );
    }
  }
  const data = values['data'] as string;
  const target = values['target'];
  if (typeof target !== 'string' || target === '') {
    throw new UsageError('--data needs --target COLUMN, the column to predict');
  }
  const resume = values['resume'] as string | undefined;
  if (resume !== undefined) {
    const fixed = FIXED_BY_CHECKPOINT.find((name) => values[name] !== undefined);
    if (fixed) throw new UsageError(`--${fixed} comes from the checkpoint with --resume; drop it`);
  }
  const model = (values['model'] ?? 'linear') as string;
  const entry = MODELS[model];
  if (!entry) {
    throw new UsageError(
      `--model must be one of ${Object.keys(MODELS).join(', ')}, got ${JSON.stringify(model)}`,
    );
  }
  const shape = modelShape(values, model);
  const family = entry.family(shape);
  const targetType = (values['target-type'] ?? FAMILIES[family].targetType) as TargetType;
  if (!['number', 'boolean', 'category'].includes(targetType)) {
    throw new UsageError(
      `--target-type must be number, boolean or category, got ${JSON.stringify(targetType)}`,
    );
  }
  const scale = values['scale'] ?? null;
  if (scale !== null && scale !== 'standard' && scale !== 'minmax') {
    throw new UsageError(`--scale must be standard or minmax, got ${JSON.stringify(scale)}`);
  }
  const optimizer = (values['optimizer'] ?? 'adam') as string;
  if (!(optimizerNames as readonly string[]).includes(optimizer)) {
    throw new UsageError(
      `--optimizer must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(optimizer)}`,
    );
  }
  const metrics = list(values['metrics']) ?? [...(entry.metrics ?? FAMILIES[family].metrics)];
  const unknown = metrics.find((m) => !(metricNames as readonly string[]).includes(m));
  if (unknown !== undefined) {
    throw new UsageError(
      `--metrics takes ${metricNames.join(',')}; got ${JSON.stringify(unknown)}`,
    );
  }
  const { allowed } = FAMILIES[family];
  const unfit = metrics.find((m) => !(allowed as readonly string[]).includes(m));
  if (unfit !== undefined && resume === undefined) {
    throw new UsageError(
      `--metrics ${unfit} does not fit --model ${model} (${FAMILY_TEXT[family]}); it takes ${allowed.join(',')}`,
    );
  }
  const lr = positiveFlag(values, 'lr') ?? defaultLr(optimizer as OptimizerName);
  return {
    data,
    target,
    model,
    shape,
    family,
    targetType,
    categorical: list(values['categorical']) ?? [],
    maxCategories: integerFlag(values, 'max-categories', 16, 1),
    scale,
    optimizer: optimizer as OptimizerName,
    lr,
    optimizerOptions: optimizerOptions(values['optimizer-options'], optimizer as OptimizerName, lr),
    interceptLr: positiveFlag(values, 'intercept-lr'),
    metrics: metrics as MetricName[],
    skipBadRows: values['skip-bad-rows'] === true,
    limit: integerFlag(values, 'limit', Number.MAX_SAFE_INTEGER, 1),
    checkpoint: values['checkpoint'] as string | undefined,
    resume,
    every: integerFlag(values, 'every', 1000, 1),
    json: values['json'] === true,
  };
}

const FAMILY_TEXT: Record<Family, string> = {
  regression: 'a regression',
  binary: 'two classes',
  multiclass: 'K classes',
};

/** The MLP's default hidden layers. */
const HIDDEN = [32];

/**
 * Validates the model flags: each only with a model that takes it, --classes required
 * for softmax.
 */
function modelShape(
  values: Record<string, string | boolean | undefined>,
  model: string,
): ModelShape {
  const { flags } = MODELS[model]!;
  for (const flag of MODEL_FLAGS) {
    if (values[flag] === undefined || flags.includes(flag)) continue;
    const takers = Object.keys(MODELS).filter((name) => MODELS[name]!.flags.includes(flag));
    throw new UsageError(
      `--${flag} is for --model ${takers.join(' or ')}${flag === 'seed' ? ' (and synthetic streams)' : ''}, not --model ${model}`,
    );
  }
  const task = (values['task'] ?? 'regression') as string;
  if (task !== 'regression' && task !== 'classification') {
    throw new UsageError(
      `--task must be regression or classification, got ${JSON.stringify(task)}`,
    );
  }
  if (model === 'mlp' && task === 'regression' && values['classes'] !== undefined) {
    throw new UsageError('--classes needs --task classification with --model mlp');
  }
  if (model === 'softmax' && values['classes'] === undefined) {
    throw new UsageError(
      '--model softmax needs --classes K, the number of distinct labels in --target (K >= 2)',
    );
  }
  const activation = (values['activation'] ?? 'tanh') as string;
  if (activation !== 'tanh' && activation !== 'relu') {
    throw new UsageError(`--activation must be tanh or relu, got ${JSON.stringify(activation)}`);
  }
  return {
    classes: integerFlag(values, 'classes', 2, 2),
    hidden: hiddenFlag(values['hidden']),
    activation,
    task,
    seed: integerFlag(values, 'seed', 42, 0, SEED_MAX),
  };
}

/** --hidden 32,16: one or more positive integer widths. */
function hiddenFlag(value: string | boolean | undefined): number[] {
  if (value === undefined) return [...HIDDEN];
  const widths = typeof value === 'string' ? value.split(',').map((w) => w.trim()) : [];
  if (!widths.length || !widths.every((w) => /^\d+$/.test(w) && Number(w) >= 1)) {
    throw new UsageError(
      `--hidden takes the hidden layers' widths, positive integers separated by commas (e.g. 32 or 32,16), got ${JSON.stringify(value)}`,
    );
  }
  return widths.map(Number);
}

function list(value: string | boolean | undefined): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
