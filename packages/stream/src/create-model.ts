import type { Model } from './model.js';
import { linearRegression } from './models/linear-regression.js';
import { logisticRegression } from './models/logistic-regression.js';
import { type MlpOptions, mlp } from './models/mlp.js';
import { poissonRegression } from './models/poisson-regression.js';
import { softmaxRegression } from './models/softmax-regression.js';

/**
 * A built-in model as plain data: its `kind` and the options that build it. Every
 * built-in model carries its own as `model.spec`; store it in a checkpoint and
 * {@link createModel} builds the same model again.
 */
export type ModelSpec =
  | { kind: 'linear-regression'; features: number }
  | { kind: 'logistic-regression'; features: number }
  | { kind: 'poisson-regression'; features: number }
  | { kind: 'softmax-regression'; features: number; classes: number }
  | ({ kind: 'mlp' } & Required<Omit<MlpOptions, 'hidden'>> & { hidden: number[] });

/**
 * Builds the built-in model a {@link ModelSpec} describes (e.g. `model.spec` read back
 * from a checkpoint). A model of your own is not in this catalogue: build it yourself.
 *
 * @param spec - a model spec.
 * @returns the model.
 * @example
 * ```ts
 * import { createModel, softmaxRegression } from '@adamflow/stream';
 * const model = softmaxRegression({ features: 4, classes: 3 });
 * const again = createModel(JSON.parse(JSON.stringify(model.spec)));
 * again.size === model.size; // true
 * ```
 */
export function createModel(spec: ModelSpec): Model {
  if (spec === null || typeof spec !== 'object') {
    throw new TypeError(`createModel: spec must be an object like model.spec, got ${String(spec)}`);
  }
  switch (spec.kind) {
    case 'linear-regression':
      return linearRegression({ features: spec.features });
    case 'logistic-regression':
      return logisticRegression({ features: spec.features });
    case 'poisson-regression':
      return poissonRegression({ features: spec.features });
    case 'softmax-regression':
      return softmaxRegression({ features: spec.features, classes: spec.classes });
    case 'mlp':
      return mlp(spec);
    default:
      throw new TypeError(
        `createModel: unknown kind ${JSON.stringify((spec as { kind?: unknown }).kind)}; the built-in kinds are linear-regression, logistic-regression, poisson-regression, softmax-regression and mlp (build a model of your own yourself)`,
      );
  }
}
