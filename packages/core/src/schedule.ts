import { describe, nonNegativeFinite, positiveFinite } from './validate.js';

/**
 * A learning-rate schedule: maps the 0-based index of the step about to be taken
 * (0 for the first step, as optax counts) to a learning rate.
 *
 * Any function of this shape works; the optimizer calls it once per step and
 * refuses a value that is not a finite number >= 0 with a `RangeError`, leaving its
 * state untouched.
 *
 * @example
 * ```ts
 * import { Adam, type Schedule } from '@adamflow/core';
 * const halving: Schedule = (step) => 0.1 / 2 ** Math.floor(step / 100);
 * const opt = new Adam(new Float64Array(2), { lr: halving });
 * ```
 */
export type Schedule = (step: number) => number;

/**
 * The same learning rate at every step.
 *
 * @param lr - a positive finite learning rate.
 * @returns a schedule returning `lr`.
 * @example
 * ```ts
 * import { constantSchedule } from '@adamflow/core';
 * constantSchedule(0.01)(1234); // 0.01
 * ```
 */
export function constantSchedule(lr: number): Schedule {
  positiveFinite('constantSchedule: lr', lr);
  return () => lr;
}

/** Options of {@link stepDecaySchedule}. */
export interface StepDecayOptions {
  /** Initial learning rate (positive, finite). */
  lr: number;
  /** Number of steps between decays (a positive integer). */
  stepSize: number;
  /** Multiplicative factor per decay, in (0, 1]; default 0.1 as in PyTorch's `StepLR`. */
  gamma?: number;
}

/**
 * `lr * gamma ** floor(step / stepSize)`, PyTorch's `StepLR`.
 *
 * @param options - {@link StepDecayOptions}.
 * @returns the schedule.
 * @example
 * ```ts
 * import { stepDecaySchedule } from '@adamflow/core';
 * const s = stepDecaySchedule({ lr: 0.1, stepSize: 10, gamma: 0.5 });
 * s(9); // 0.1
 * s(10); // 0.05
 * ```
 */
export function stepDecaySchedule(options: StepDecayOptions): Schedule {
  const lr = positiveFinite('stepDecaySchedule: lr', options.lr);
  const stepSize = positiveInteger('stepDecaySchedule: stepSize', options.stepSize);
  const gamma = decayFactor('stepDecaySchedule: gamma', options.gamma ?? 0.1);
  return (step) => lr * gamma ** Math.floor(step / stepSize);
}

/** Options of {@link exponentialSchedule}. */
export interface ExponentialOptions {
  /** Initial learning rate (positive, finite). */
  lr: number;
  /** Multiplicative factor per step, in (0, 1]. */
  gamma: number;
}

/**
 * `lr * gamma ** step`, PyTorch's `ExponentialLR`.
 *
 * @param options - {@link ExponentialOptions}.
 * @returns the schedule.
 * @example
 * ```ts
 * import { exponentialSchedule } from '@adamflow/core';
 * exponentialSchedule({ lr: 1, gamma: 0.5 })(3); // 0.125
 * ```
 */
export function exponentialSchedule(options: ExponentialOptions): Schedule {
  const lr = positiveFinite('exponentialSchedule: lr', options.lr);
  const gamma = decayFactor('exponentialSchedule: gamma', options.gamma);
  return (step) => lr * gamma ** step;
}

/** Options of {@link cosineSchedule}. */
export interface CosineOptions {
  /** Learning rate at step 0 (positive, finite). */
  lr: number;
  /** Steps over which to anneal (a positive integer); the rate stays at `minLr` after. */
  steps: number;
  /** Final learning rate, default 0 (PyTorch's `eta_min`). */
  minLr?: number;
}

/**
 * Cosine annealing, the closed form of PyTorch's `CosineAnnealingLR`:
 * `minLr + (lr - minLr) * (1 + cos(pi * min(step, steps) / steps)) / 2`.
 *
 * @param options - {@link CosineOptions}.
 * @returns the schedule.
 * @example
 * ```ts
 * import { cosineSchedule } from '@adamflow/core';
 * const s = cosineSchedule({ lr: 0.1, steps: 100 });
 * s(0); // 0.1
 * s(50); // 0.05 (to rounding)
 * ```
 */
export function cosineSchedule(options: CosineOptions): Schedule {
  const lr = positiveFinite('cosineSchedule: lr', options.lr);
  const steps = positiveInteger('cosineSchedule: steps', options.steps);
  const minLr = nonNegativeFinite('cosineSchedule: minLr', options.minLr ?? 0);
  if (minLr > lr) {
    throw new RangeError(`cosineSchedule: minLr (${minLr}) must not exceed lr (${lr})`);
  }
  return (step) =>
    minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(step, steps)) / steps))) / 2;
}

/** Options of {@link warmupSchedule}. */
export interface WarmupOptions {
  /** Number of warm-up steps (a positive integer). */
  steps: number;
  /** What follows the warm-up: a constant rate or a schedule, started at its own step 0. */
  after: number | Schedule;
  /** Fraction of the target rate at step 0, in [0, 1]; default `1 / steps`. */
  startFactor?: number;
}

/**
 * Linear warm-up, then another schedule (PyTorch's `LinearLR` followed by
 * `SequentialLR`): for `step < steps` the rate rises linearly from
 * `startFactor * target(0)` towards `target(0)`; from `steps` on it is
 * `after(step - steps)`.
 *
 * @param options - {@link WarmupOptions}.
 * @returns the composed schedule.
 * @example
 * ```ts
 * import { cosineSchedule, warmupSchedule } from '@adamflow/core';
 * const s = warmupSchedule({ steps: 10, after: cosineSchedule({ lr: 0.1, steps: 1000 }) });
 * s(0); // 0.01
 * s(10); // 0.1
 * ```
 */
export function warmupSchedule(options: WarmupOptions): Schedule {
  const steps = positiveInteger('warmupSchedule: steps', options.steps);
  const after = options.after;
  let target: Schedule;
  if (typeof after === 'number') {
    const lr = positiveFinite('warmupSchedule: after', after);
    target = () => lr;
  } else if (typeof after === 'function') {
    target = after;
  } else {
    throw new TypeError(
      `warmupSchedule: after must be a learning rate or a schedule function, got ${describe(after)}`,
    );
  }
  const startFactor = options.startFactor ?? 1 / steps;
  if (typeof startFactor !== 'number' || !(startFactor >= 0 && startFactor <= 1)) {
    throw new RangeError(
      `warmupSchedule: startFactor must be in [0, 1], got ${describe(startFactor)}`,
    );
  }
  return (step) => {
    if (step >= steps) return target(step - steps);
    return target(0) * (startFactor + ((1 - startFactor) * step) / steps);
  };
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

function decayFactor(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new RangeError(`${name} must be in (0, 1], got ${describe(value)}`);
  }
  return value;
}
