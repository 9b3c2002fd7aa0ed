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
  /**
   * Viewers' commands, each applied once `samples` samples are learned (in order; one
   * at the run's last sample is not applied, as a trainer that stops there does not).
   */
  commands?: ReadonlyArray<{ samples: number; command: ReferenceCommand }>;
}

/** A command that changes training, as the single-process session applies it. */
export type ReferenceCommand =
  | { type: 'set-lr'; lr: number }
  | { type: 'set-optimizer'; optimizer: OptimizerName; lr: number }
  | { type: 'reset' };

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
  const commands = options.commands ?? [];
  let next = 0;
  for (let i = 0; i < options.samples; i++) {
    for (; next < commands.length && commands[next]!.samples === i; next++) {
      const { command } = commands[next]!;
      // What trainSession does with each (see its set-lr, set-optimizer and reset).
      if (command.type === 'set-lr') learner.optimizer.set({ lr: command.lr });
      else if (command.type === 'set-optimizer')
        learner.setOptimizer(command.optimizer, { lr: command.lr });
      else learner.reset();
    }
    learner.learn(generator.next());
  }
  return learner.state();
}

/** What the trainer publishes after every `every`-th input message of `messageSamples` samples. */
export interface ReferenceUpdate {
  seq: number;
  samples: number;
  step: number;
  lossEma: number;
  params: number[];
}

/**
 * The parameter updates an uninterrupted trainer publishes on the seed's linear
 * source with the default options.
 *
 * @param seed - the source's seed.
 * @param samples - samples in the stream.
 * @param every - input messages per update.
 * @param messageSamples - samples per input message (produce's default 256).
 * @returns the updates in order.
 * @example
 * ```ts
 * import { referenceUpdates } from './reference.js';
 * referenceUpdates(42, 4096, 4).length; // 4
 * ```
 */
export function referenceUpdates(
  seed: number,
  samples: number,
  every: number,
  messageSamples = 256,
): ReferenceUpdate[] {
  const learner = new Learner({ model: linearRegression(), optimizer: 'adam' });
  learner.optimizer.set({ lr: 0.01 });
  const generator = createGenerator(linearSpec({ seed }));
  const updates: ReferenceUpdate[] = [];
  const messages = Math.ceil(samples / messageSamples);
  for (let seq = 1; seq <= messages; seq++) {
    const end = Math.min(seq * messageSamples, samples);
    while (learner.samples < end) learner.learn(generator.next());
    if (seq % every !== 0) continue;
    updates.push({
      seq,
      samples: learner.samples,
      step: learner.steps,
      lossEma: learner.metrics.snapshot().lossEma,
      params: Array.from(learner.params),
    });
  }
  return updates;
}
