import { type OptimizerName, optimizerNames } from '@adamflow/core';
import { type MetricName, metricNames, type TargetType } from '@adamflow/stream';
import { integerFlag, positiveFlag, UsageError } from './args.js';
import { MODELS } from './models.js';
import { defaultLr } from './options.js';

/** The validated flags of training on a data file. */
export interface DataOptions {
  data: string;
  target: string;
  model: string;
  targetType: TargetType;
  categorical: string[];
  maxCategories: number;
  scale: 'standard' | 'minmax' | null;
  optimizer: OptimizerName;
  lr: number;
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
  'intercept-lr',
  'metrics',
  'categorical',
  'max-categories',
];

/**
 * Validates the flags of training on data.
 *
 * @param values - parsed flags (with `data` set).
 * @returns the options.
 * @throws UsageError saying which flag is wrong and what to pass.
 */
export function dataOptions(values: Record<string, string | boolean | undefined>): DataOptions {
  for (const name of ['samples', 'seed', 'source', 'batch']) {
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
  const targetType = (values['target-type'] ?? entry.targetType) as TargetType;
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
  const metrics = list(values['metrics']) ?? [...entry.metrics];
  const unknown = metrics.find((m) => !(metricNames as readonly string[]).includes(m));
  if (unknown !== undefined) {
    throw new UsageError(
      `--metrics takes ${metricNames.join(',')}; got ${JSON.stringify(unknown)}`,
    );
  }
  return {
    data,
    target,
    model,
    targetType,
    categorical: list(values['categorical']) ?? [],
    maxCategories: integerFlag(values, 'max-categories', 16, 1),
    scale,
    optimizer: optimizer as OptimizerName,
    lr: positiveFlag(values, 'lr') ?? defaultLr(optimizer as OptimizerName),
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

function list(value: string | boolean | undefined): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
