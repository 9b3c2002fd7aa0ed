/**
 * `@adamflow/stream`: per-sample online training as an RxJS pipeline.
 *
 * @packageDocumentation
 */

export type { ApplyGradientsOptions, GradientUpdate } from './apply-gradients.js';
export { applyGradients } from './apply-gradients.js';
export type { ModelSpec } from './create-model.js';
export { createModel } from './create-model.js';
export type { StreamErrorCode } from './errors.js';
// Errors
export { StreamError } from './errors.js';
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
export type {
  LearnerOptimizer,
  LearnerOptions,
  LearnerState,
  OptimizerSpec,
} from './learner.js';
// Learning and metrics
export { checkLearnerOptions, Learner } from './learner.js';
export type { MetricsSnapshot, MetricsState } from './metrics.js';
export { PrequentialMetrics } from './metrics.js';
export type { Model, ModelOptions } from './model.js';
// Models
export { linearRegression, logisticRegression, modelFor } from './model.js';
export type { MlpOptions } from './models/mlp.js';
export { mlp } from './models/mlp.js';
export { poissonRegression } from './models/poisson-regression.js';
export type { SoftmaxRegressionOptions } from './models/softmax-regression.js';
export { softmaxRegression } from './models/softmax-regression.js';
export type {
  PartitionedGroup,
  PartitionedOptions,
  PartitionedState,
  PartitionGroup,
} from './partitioned.js';
// Optimizers per parameter range
export {
  PARTITIONED_STATE_VERSION,
  PartitionedOptimizer,
  partitioned,
} from './partitioned.js';
export type { PumpOptions } from './pump.js';
export type { RandomState } from './random.js';
export { Random } from './random.js';
export type { SourceOptions } from './sources.js';
// Sources and generators
export {
  batchedSource,
  driftSource,
  linearSource,
  logisticSource,
  multilinearSource,
  sampleSource,
} from './sources.js';
export type { TrainOnlineOptions } from './train-online.js';
// Operators
export { trainOnline } from './train-online.js';
export type {
  SessionCheckpoint,
  SessionCommand,
  SessionConfig,
  SessionEvent,
  SessionPosition,
  TrainSessionOptions,
} from './train-session.js';
// Live sessions
export { trainSession } from './train-session.js';
export type { OutputMode, ParamsUpdate } from './updates.js';
