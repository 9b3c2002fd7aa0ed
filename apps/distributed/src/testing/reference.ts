// The uninterrupted, in-process run the distributed trainer must equal: the same
// library path as `pnpm train` (trainSession), one sample at a time.
import type { OptimizerName } from '@adamflow/core';
import {
  createGenerator,
  Learner,
  type LearnerState,
  linearRegression,
  linearSpec,
} from '@adamflow/stream';

/** Options of {@link referenceRun}. */
export interface ReferenceOptions {
  seed: number;
  samples: number;
  optimizer?: OptimizerName;
  lr?: number;
  batchSize?: number;
}

/**
 * Trains on the seed's linear source as `pnpm train` does and returns the learner's state.
 *
 * @param options - {@link ReferenceOptions}.
 * @returns the complete learner state.
 * @example
 * ```ts
 * import { referenceRun } from './reference.js';
 * referenceRun({ seed: 42, samples: 1000 }).params;
 * ```
 */
export function referenceRun(options: ReferenceOptions): LearnerState {
  const optimizer = options.optimizer ?? 'adam';
  const learner = new Learner({
    model: linearRegression(),
    optimizer,
    batchSize: options.batchSize ?? 1,
  });
  learner.optimizer.set({ lr: options.lr ?? (optimizer === 'sgd' ? 0.001 : 0.01) });
  const generator = createGenerator(linearSpec({ seed: options.seed }));
  for (let i = 0; i < options.samples; i++) learner.learn(generator.next());
  return learner.state();
}
