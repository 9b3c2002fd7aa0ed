import type { Command, Config, Diverged } from '@adamflow/protocol';

/** How the trainer starts. */
export interface TrainerOptions {
  /** Samples per second; null runs flat out. */
  rate: number | null;
  /** PRNG seed of the sources. */
  seed: number;
  /** Initial learning rate. */
  lr: number;
  /** How often the worker reports, in ms. */
  reportMs: number;
}

/** Main thread -> worker. */
export type ToTrainer =
  | { type: 'start'; options: TrainerOptions }
  | { type: 'command'; id: number; command: Command }
  | { type: 'stop' };

/** The worker's report: the latest state, and the samples drawn since the last one. */
export interface TrainerReport {
  type: 'report';
  step: number;
  samples: number;
  params: number[];
  loss: number | null;
  lossEma: number | null;
  samplesPerSecond: number;
  truth: number[] | null;
  recentX: number[];
  recentY: number[];
}

/** The state after a command, at start, or when the run diverged. */
export interface TrainerState {
  type: 'state';
  reason: 'start' | 'diverged' | Command['type'];
  /** Why training stopped by itself (it is paused until a command restarts it), or null. */
  diverged: Diverged | null;
  config: Config;
  truth: number[] | null;
  params: number[];
  step: number;
  samples: number;
}

/** Worker -> main thread. */
export type FromTrainer =
  | TrainerReport
  | TrainerState
  | { type: 'command-result'; id: number; ok: boolean; message: string | null }
  | { type: 'failed'; message: string; code: string | null };
