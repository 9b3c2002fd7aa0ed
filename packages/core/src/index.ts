/**
 * `@adamflow/core`: Adam and friends on typed arrays. Exact (PyTorch semantics),
 * fused and allocation-free, with schedules, clipping and snapshots.
 *
 * @packageDocumentation
 */
// biome-ignore-all assist/source/organizeImports: the exports are grouped by topic under the section comments below

// Optimizers
export type {
  AdamBackend,
  AdamEpsPlacement,
  AdamOptions,
  AdamSettings,
  ResolvedAdamOptions,
} from './adam.js';
export { Adam } from './adam.js';
export { AdamW } from './adamw.js';
export type { AdamaxEpsPlacement, AdamaxOptions, ResolvedAdamaxOptions } from './adamax.js';
export { Adamax } from './adamax.js';
export type { NAdamOptions, ResolvedNAdamOptions } from './nadam.js';
export { NAdam } from './nadam.js';
export type { RAdamOptions, ResolvedRAdamOptions } from './radam.js';
export { RAdam } from './radam.js';
export type { AdagradOptions, ResolvedAdagradOptions } from './adagrad.js';
export { Adagrad } from './adagrad.js';
export type { AdadeltaOptions, ResolvedAdadeltaOptions } from './adadelta.js';
export { Adadelta } from './adadelta.js';
export type {
  ResolvedRMSPropOptions,
  RMSPropEpsPlacement,
  RMSPropOptions,
} from './rmsprop.js';
export { RMSProp } from './rmsprop.js';
export type { ResolvedSGDOptions, SGDOptions } from './sgd.js';
export { SGD } from './sgd.js';

// The shared interface and snapshots
export type {
  CommonOptions,
  NonFinitePolicy,
  OptimizerKind,
  ResolvedCommon,
} from './common-options.js';
export { Optimizer } from './optimizer.js';
export type { GroupState, OptimizerState } from './optimizer-state.js';
export { STATE_VERSION } from './optimizer-state.js';
export type { ParamArray } from './param-array.js';

// Parameter groups
export type { GroupInfo, GroupOptions, ParamGroup } from './param-groups.js';

// Registry
export type { OptimizerEntry, OptimizerName, OptimizerOptionsByName } from './registry.js';
export { createOptimizer, optimizerNames, optimizers } from './registry.js';

// Learning-rate schedules
export type {
  CosineOptions,
  ExponentialOptions,
  Schedule,
  StepDecayOptions,
  WarmupOptions,
} from './schedule.js';
export {
  constantSchedule,
  cosineSchedule,
  exponentialSchedule,
  stepDecaySchedule,
  warmupSchedule,
} from './schedule.js';

// The WebAssembly SIMD backend
export { WASM_MIN_LENGTH } from './choose-kernel.js';
export { wasmSimdAvailable } from './kernel-module.js';

// Errors
export type { AdamflowErrorCode } from './errors.js';
export { AdamflowError } from './errors.js';
