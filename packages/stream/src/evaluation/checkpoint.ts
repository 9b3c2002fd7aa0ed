import { createModel, type ModelSpec } from '../create-model.js';
import type { LabelEncoderState } from '../data/label-encoder.js';
import type { StreamPosition } from '../data/row.js';
import { StreamError } from '../errors.js';
import type { OptimizerSpec } from '../learner-options.js';
import { createMetric, type MetricName } from '../metrics/create-metric.js';
import type { Metric } from '../metrics/metric.js';
import type { Model } from '../model.js';
import {
  type Pipeline,
  type PipelineDescription,
  type PipelineState,
  pipeline,
} from '../pipeline.js';
import { minMaxScaler } from '../preprocessing/min-max-scaler.js';
import { type OneHotOptions, oneHot } from '../preprocessing/one-hot.js';
import type { Json, StageSpec } from '../preprocessing/stage.js';
import { standardScaler } from '../preprocessing/standard-scaler.js';

/** The checkpoint format's version; bumped on any incompatible change. */
export const CHECKPOINT_VERSION = 1;

/**
 * Everything needed to continue a run exactly, JSON-safe (write it with
 * `JSON.stringify`): what the pipeline is, its trained state (stages' statistics,
 * parameters, optimizer state or states), the metrics, the samples validated, the
 * stream's position and the label encoder's classes.
 */
export interface Checkpoint {
  format: 'adamflow.checkpoint';
  version: number;
  pipeline: PipelineDescription;
  state: PipelineState;
  metrics: { name: string; window: number | null; state: Json }[];
  samples: number;
  position: StreamPosition | null;
  labels: LabelEncoderState | null;
}

/** What goes into a checkpoint besides the pipeline. */
export interface CheckpointParts {
  metrics?: readonly Metric[];
  samples?: number;
  position?: StreamPosition | null;
  labels?: LabelEncoderState | null;
}

/** A restored checkpoint. */
export interface Restored {
  pipeline: Pipeline;
  metrics: Metric[];
  samples: number;
  position: StreamPosition | null;
  labels: LabelEncoderState | null;
}

/** Rebuilds what a checkpoint's description cannot: a custom model, optimizer or stage. */
export interface RestoreOverrides {
  /** The model, for kinds other than the built-in ones (`createModel`'s). */
  model?: Model | ((features: number) => Model);
  /** The optimizer, when the pipeline was built with a factory. */
  optimizer?: OptimizerSpec;
  /** Stage specs by kind, for stages other than the built-in ones. */
  stages?: Record<string, (options: { [key: string]: Json }) => StageSpec>;
}

const STAGES: Record<string, (options: { [key: string]: Json }) => StageSpec> = {
  'standard-scaler': () => standardScaler(),
  'min-max-scaler': () => minMaxScaler(),
  'one-hot': (options) => oneHot(options as unknown as OneHotOptions),
};

// The generalised linear models are described by their kind and width alone.
const GLMS = ['linear-regression', 'logistic-regression', 'poisson-regression'];

/** The built-in model a description names, by `createModel`; undefined for others. */
function builtInModel(description: PipelineDescription['model']): Model | undefined {
  const spec: ModelSpec | undefined =
    description.spec ??
    (GLMS.includes(description.kind)
      ? ({ kind: description.kind, features: description.features } as ModelSpec)
      : undefined);
  return spec === undefined ? undefined : createModel(spec);
}

/**
 * Takes a checkpoint of a pipeline and, optionally, the run around it.
 *
 * @param model - the pipeline.
 * @param parts - metrics, samples validated, stream position, label classes.
 * @returns the checkpoint (plain data).
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { createCheckpoint, fromCsv, linearRegression, pipeline } from '@adamflow/stream';
 * const rows = fromCsv('data.csv', { target: 'y' });
 * const model = pipeline({ inputs: 3, model: (features) => linearRegression({ features }), optimizer: { name: 'adam' } });
 * writeFileSync('run.json', JSON.stringify(createCheckpoint(model, { position: rows.position() })));
 * ```
 */
export function createCheckpoint(model: Pipeline, parts: CheckpointParts = {}): Checkpoint {
  return {
    format: 'adamflow.checkpoint',
    version: CHECKPOINT_VERSION,
    pipeline: model.describe(),
    state: model.state(),
    metrics: (parts.metrics ?? []).map((metric) => ({
      name: metric.name,
      window: (metric as { window?: number }).window ?? null,
      state: metric.state(),
    })),
    samples: parts.samples ?? 0,
    position: parts.position ?? null,
    labels: parts.labels ?? null,
  };
}

/**
 * Rebuilds a pipeline and its run from a checkpoint (parsed JSON): training it further
 * continues bitwise as if it had never stopped; or use it only to predict.
 *
 * @param checkpoint - from {@link createCheckpoint}, e.g. `JSON.parse(readFileSync(file, 'utf8'))`.
 * @param overrides - see {@link RestoreOverrides}.
 * @returns the pipeline, metrics, samples, position and label classes.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { restoreCheckpoint } from '@adamflow/stream';
 * const { pipeline } = restoreCheckpoint(JSON.parse(readFileSync('run.json', 'utf8')));
 * pipeline.predict([1, 2, 3]);
 * ```
 */
export function restoreCheckpoint(
  checkpoint: Checkpoint,
  overrides: RestoreOverrides = {},
): Restored {
  const c = checkpoint as Partial<Checkpoint> | null;
  if (c?.format !== 'adamflow.checkpoint') {
    invalid('not an adamflow checkpoint (format is not "adamflow.checkpoint")');
  }
  if (c.version !== CHECKPOINT_VERSION) {
    invalid(
      `version ${String(c.version)} is not supported; this build reads ${CHECKPOINT_VERSION}`,
    );
  }
  const description = c.pipeline;
  if (!description || !Array.isArray(description.stages) || !description.model || !c.state) {
    invalid('the pipeline description or state is missing');
  }
  const stages = description.stages.map(({ kind, options }) => {
    const make = overrides.stages?.[kind] ?? STAGES[kind];
    if (!make) invalid(`unknown stage kind ${JSON.stringify(kind)}; pass overrides.stages`);
    return make(options);
  });
  const model = overrides.model ?? builtInModel(description.model);
  if (!model) {
    invalid(`unknown model kind ${JSON.stringify(description.model.kind)}; pass overrides.model`);
  }
  const optimizer = overrides.optimizer ?? description.optimizer;
  if (!optimizer) invalid('the optimizer was a factory; pass overrides.optimizer');
  const restored = pipeline({ inputs: description.inputs, stages, model, optimizer });
  if (restored.model.features !== description.model.features) {
    invalid(
      `the model takes ${restored.model.features} features, the checkpoint ${description.model.features}`,
    );
  }
  restored.loadState(c.state);
  const metrics = (c.metrics ?? []).map(({ name, window, state }) => {
    const metric = createMetric(name as MetricName, window ?? undefined);
    metric.loadState(state);
    return metric;
  });
  return {
    pipeline: restored,
    metrics,
    samples: c.samples ?? 0,
    position: c.position ?? null,
    labels: c.labels ?? null,
  };
}

function invalid(detail: string): never {
  throw new StreamError('ADAMFLOW_ERR_CHECKPOINT_INVALID', `checkpoint: ${detail}`);
}
