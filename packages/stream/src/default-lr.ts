import type { OptimizerName } from '@adamflow/core';

// Per-sample training on the built-in sources: 0.01 suits the adaptive optimizers and
// 0.001 SGD. Adagrad's rate shrinks as 1/sqrt(steps) on its own; Adadelta's lr scales a
// step that is already unit-corrected, PyTorch's default being 1.
const DEFAULT_LR: Partial<Record<OptimizerName, number>> = {
  sgd: 0.001,
  adagrad: 0.1,
  adadelta: 1,
};

/**
 * The per-sample learning rate every adamflow front end (the CLI, the distributed
 * trainer) uses for an optimizer when none is given, so their runs agree.
 *
 * @param optimizer - a registry name.
 * @returns the learning rate.
 * @example
 * ```ts
 * import { defaultLr } from '@adamflow/stream';
 * defaultLr('adam'); // 0.01
 * defaultLr('sgd'); // 0.001
 * ```
 */
export function defaultLr(optimizer: OptimizerName): number {
  return DEFAULT_LR[optimizer] ?? 0.01;
}
