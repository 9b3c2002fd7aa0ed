/**
 * `@adamflow/core`: Adam and friends on typed arrays. Exact (PyTorch semantics),
 * fused and allocation-free, with schedules, clipping and snapshots.
 *
 * @packageDocumentation
 */

export type { AdamBackend, AdamOptions, AdamSettings, ResolvedAdamOptions } from './adam.js';
// Optimizers
export { Adam } from './adam.js';
export { AdamW } from './adamw.js';
export type { AdamflowErrorCode } from './errors.js';
// Errors
export { AdamflowError } from './errors.js';
// The WebAssembly SIMD backend
export { WASM_MIN_LENGTH, wasmSimdAvailable } from './kernel.js';
export type {
  CommonOptions,
  NonFinitePolicy,
  OptimizerKind,
  OptimizerState,
  ParamArray,
  ResolvedCommon,
} from './optimizer.js';

// The shared interface and snapshots
export { Optimizer, STATE_VERSION } from './optimizer.js';
export type { OptimizerEntry, OptimizerName, OptimizerOptionsByName } from './registry.js';
// Registry
export { createOptimizer, optimizerNames, optimizers } from './registry.js';
export type { ResolvedRMSPropOptions, RMSPropOptions } from './rmsprop.js';
export { RMSProp } from './rmsprop.js';
export type {
  CosineOptions,
  ExponentialOptions,
  Schedule,
  StepDecayOptions,
  WarmupOptions,
} from './schedule.js';
// Learning-rate schedules
export {
  constantSchedule,
  cosineSchedule,
  exponentialSchedule,
  stepDecaySchedule,
  warmupSchedule,
} from './schedule.js';
export type { ResolvedSGDOptions, SGDOptions } from './sgd.js';
export { SGD } from './sgd.js';
