/**
 * `@adamflow/stream`: per-sample online training as an RxJS pipeline.
 *
 * @packageDocumentation
 */
// biome-ignore-all assist/source/organizeImports: the exports are grouped by topic under the section comments below

// Sources and generators
export type {
  Concept,
  DriftOptions,
  DriftSpec,
  GeneratorState,
  LinearOptions,
  LinearSpec,
  LogisticOptions,
  LogisticSpec,
  MultilinearOptions,
  MultilinearSpec,
  Sample,
  SampleBatch,
  SampleGenerator,
  SourceSpec,
} from './generators.js';
export {
  createGenerator,
  driftSpec,
  linearSpec,
  logisticSpec,
  multilinearSpec,
  resolveSpec,
  restoreGenerator,
} from './generators.js';
export type { SourceOptions } from './sources.js';
export {
  batchedSource,
  driftSource,
  linearSource,
  logisticSource,
  multilinearSource,
  sampleSource,
} from './sources.js';
export type { CataloguedSource, SourceName } from './source-catalogue.js';
export {
  DRIFT_CHANGE,
  findSource,
  sourceAliases,
  sourceCatalogue,
  sourceNames,
  trueParams,
} from './source-catalogue.js';
export type { RandomState } from './random.js';
export { Random } from './random.js';
export type { PumpOptions } from './pump.js';

// Your own data
export type { CsvStream, FromCsvOptions } from './data/from-csv.js';
export { fromCsv } from './data/from-csv.js';
export type { FromNdjsonOptions, NdjsonStream } from './data/from-ndjson.js';
export { fromNdjson } from './data/from-ndjson.js';
export type { FromIterableOptions } from './data/from-iterable.js';
export { fromIterable } from './data/from-iterable.js';
export type { Label, LabelEncoderState } from './data/label-encoder.js';
export { LabelEncoder } from './data/label-encoder.js';
export type {
  BadRowPolicy,
  FileStamp,
  ReadableInput,
  Row,
  RowStream,
  StreamPosition,
} from './data/row.js';
export type { TargetType } from './data/target.js';

// Models
export type { Model, ModelOptions } from './model.js';
export { linearRegression, logisticRegression, modelFor } from './model.js';
export type { MlpOptions } from './models/mlp.js';
export { mlp } from './models/mlp.js';
export { poissonRegression } from './models/poisson-regression.js';
export type { SoftmaxRegressionOptions } from './models/softmax-regression.js';
export { softmaxRegression } from './models/softmax-regression.js';
export type { ModelSpec } from './create-model.js';
export { createModel } from './create-model.js';

// Preprocessing and pipelines
export type { Json, Stage, StageSpec } from './preprocessing/stage.js';
export { standardScaler } from './preprocessing/standard-scaler.js';
export { minMaxScaler } from './preprocessing/min-max-scaler.js';
export type { OneHotOptions } from './preprocessing/one-hot.js';
export { oneHot } from './preprocessing/one-hot.js';
export type {
  OptimizerChoice,
  PipelineDescription,
  PipelineOptions,
  PipelineState,
} from './pipeline.js';
export { Pipeline, pipeline } from './pipeline.js';

// Learning, optimizers per parameter range, and races
export { defaultLr } from './default-lr.js';
export type { LearnerState } from './learner.js';
export { Learner } from './learner.js';
export type { LearnerOptimizer, LearnerOptions, OptimizerSpec } from './learner-options.js';
export { checkLearnerOptions } from './learner-options.js';
export type {
  PartitionedGroup,
  PartitionedOptions,
  PartitionedState,
  PartitionGroup,
} from './partitioned.js';
export {
  PARTITIONED_STATE_VERSION,
  PartitionedOptimizer,
  partitioned,
} from './partitioned.js';
export type {
  Contestant,
  ContestantOptions,
  ContestantSpec,
  RaceOptions,
  RaceState,
  Standing,
} from './race.js';
export { MAX_CONTESTANTS, Race } from './race.js';

// Metrics
export type { Metric, Prediction } from './metrics/metric.js';
export type { MetricName } from './metrics/create-metric.js';
export { createMetric, metricNames } from './metrics/create-metric.js';
export { MAE, MSE, R2, RMSE } from './metrics/regression-metrics.js';
export { Accuracy, F1, MacroF1, Precision, Recall } from './metrics/confusion-metrics.js';
export { LogLoss } from './metrics/log-loss.js';
export { BinnedRocAuc } from './metrics/binned-roc-auc.js';
export { RocAuc } from './metrics/roc-auc.js';
export { rolling } from './metrics/rolling.js';
export type { MetricsSnapshot, MetricsState } from './metrics.js';
export { PrequentialMetrics } from './metrics.js';

// Evaluation and checkpoints
export type {
  ProgressiveValidationOptions,
  ValidationReport,
} from './evaluation/progressive-validation.js';
export { progressiveValidation } from './evaluation/progressive-validation.js';
export type {
  Checkpoint,
  CheckpointParts,
  Restored,
  RestoreOverrides,
} from './evaluation/checkpoint.js';
export {
  CHECKPOINT_VERSION,
  createCheckpoint,
  restoreCheckpoint,
} from './evaluation/checkpoint.js';

// Operators
export type { TrainOnlineOptions } from './train-online.js';
export { trainOnline } from './train-online.js';
export type { ApplyGradientsOptions, GradientUpdate } from './apply-gradients.js';
export { applyGradients } from './apply-gradients.js';
export type { OutputMode, ParamsUpdate } from './updates.js';

// Live sessions
export type {
  SessionCheckpoint,
  SessionCommand,
  SessionConfig,
  SessionEvent,
  SessionPosition,
  StreamSessionCheckpoint,
  StreamSessionConfig,
  StreamSessionEvent,
  StreamSessionOptions,
  StreamSourceInfo,
  TrainSessionOptions,
} from './train-session.js';
export type { SampleStream } from './session-feed.js';
export { trainSession } from './train-session.js';

// Errors
export type { ErrorLocation, StreamErrorCode } from './errors.js';
export { StreamError } from './errors.js';
