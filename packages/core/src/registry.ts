import { Adadelta, type AdadeltaOptions } from './adadelta.js';
import { Adagrad, type AdagradOptions } from './adagrad.js';
import { Adam, type AdamOptions } from './adam.js';
import { Adamax, type AdamaxOptions } from './adamax.js';
import { AdamW } from './adamw.js';
import type { CommonOptions, OptimizerKind } from './common-options.js';
import { NAdam, type NAdamOptions } from './nadam.js';
import type { Optimizer } from './optimizer.js';
import type { ParamArray } from './param-array.js';
import { RAdam, type RAdamOptions } from './radam.js';
import { RMSProp, type RMSPropOptions } from './rmsprop.js';
import { SGD, type SGDOptions } from './sgd.js';
import { describe } from './validate.js';

/** The names under which {@link createOptimizer} knows the optimizers. */
export type OptimizerName = OptimizerKind | 'amsgrad';

/** Options accepted by {@link createOptimizer}, per name. */
export interface OptimizerOptionsByName {
  adam: AdamOptions;
  adamw: AdamOptions;
  amsgrad: AdamOptions;
  sgd: SGDOptions;
  rmsprop: RMSPropOptions;
  adamax: AdamaxOptions;
  nadam: NAdamOptions;
  radam: RAdamOptions;
  adagrad: AdagradOptions;
  adadelta: AdadeltaOptions;
}

/** One registry entry: how to build the optimizer, and a few facts tests and UIs use. */
export interface OptimizerEntry {
  /** The registry name. */
  readonly name: OptimizerName;
  /** A one-line description for menus and `--help`. */
  readonly description: string;
  /**
   * Options that train the seed problem (`y = 4 + 3x + noise`, per sample) well, for
   * demos and the CLI. `create` does not apply them: its defaults are PyTorch's.
   */
  readonly demoOptions: Readonly<CommonOptions & Record<string, number | boolean>>;
  /** Builds the optimizer over `params`. */
  readonly create: (params: ParamArray, options?: CommonOptions) => Optimizer;
}

/**
 * Every optimizer of the package, by name. Shared tests loop over it (as optax's
 * `_OPTIMIZERS_UNDER_TEST`), so a new entry gets every invariant test for free.
 *
 * @example
 * ```ts
 * import { optimizers } from '@adamflow/core';
 * for (const entry of Object.values(optimizers)) console.log(entry.name, entry.description);
 * ```
 */
export const optimizers: Readonly<Record<OptimizerName, OptimizerEntry>> = Object.freeze({
  adam: {
    name: 'adam',
    description: 'Adam (PyTorch semantics), L2 weight decay',
    demoOptions: { lr: 0.1 },
    create: (params, options) => new Adam(params, options),
  },
  adamw: {
    name: 'adamw',
    description: 'AdamW, decoupled weight decay (default 0.01)',
    demoOptions: { lr: 0.1 },
    create: (params, options) => new AdamW(params, options),
  },
  amsgrad: {
    name: 'amsgrad',
    description: 'Adam with AMSGrad (running max of the second moment)',
    demoOptions: { lr: 0.1 },
    create: (params, options) => new Adam(params, { ...options, amsgrad: true }),
  },
  sgd: {
    name: 'sgd',
    description: 'SGD with optional momentum and Nesterov (PyTorch semantics)',
    demoOptions: { lr: 0.01, momentum: 0.9 },
    create: (params, options) => new SGD(params, options),
  },
  rmsprop: {
    name: 'rmsprop',
    description: 'RMSProp (PyTorch semantics)',
    demoOptions: { lr: 0.01 },
    create: (params, options) => new RMSProp(params, options),
  },
  adamax: {
    name: 'adamax',
    description: 'Adamax, Adam with the infinity norm (PyTorch semantics)',
    demoOptions: { lr: 0.1 },
    create: (params, options) => new Adamax(params, options),
  },
  nadam: {
    name: 'nadam',
    description: 'NAdam, Adam with Nesterov momentum (PyTorch semantics)',
    demoOptions: { lr: 0.1 },
    create: (params, options) => new NAdam(params, options),
  },
  radam: {
    name: 'radam',
    description: 'RAdam, Adam with a rectified adaptive rate (PyTorch semantics)',
    demoOptions: { lr: 0.1 },
    create: (params, options) => new RAdam(params, options),
  },
  adagrad: {
    name: 'adagrad',
    description: 'Adagrad, per-parameter rates from the sum of squared gradients',
    demoOptions: { lr: 0.5 },
    create: (params, options) => new Adagrad(params, options),
  },
  adadelta: {
    name: 'adadelta',
    description: 'Adadelta, unit-corrected running averages, lr 1 by default',
    demoOptions: { lr: 1 },
    create: (params, options) => new Adadelta(params, options),
  },
});

/** The registry's names, in menu order. */
export const optimizerNames: readonly OptimizerName[] = Object.freeze(
  Object.keys(optimizers) as OptimizerName[],
);

/**
 * Builds an optimizer by registry name.
 *
 * @param name - one of {@link optimizerNames}.
 * @param params - the parameters, updated in place.
 * @param options - that optimizer's options.
 * @returns the optimizer.
 * @example
 * ```ts
 * import { createOptimizer } from '@adamflow/core';
 * const opt = createOptimizer('amsgrad', new Float64Array(2), { lr: 0.05 });
 * ```
 */
export function createOptimizer<N extends OptimizerName>(
  name: N,
  params: ParamArray,
  options?: OptimizerOptionsByName[N],
): Optimizer {
  if (typeof name !== 'string' || !Object.hasOwn(optimizers, name)) {
    throw new TypeError(
      `createOptimizer: unknown optimizer ${describe(name)}; choose one of ${optimizerNames.join(', ')}`,
    );
  }
  return optimizers[name].create(params, options);
}
