import type { Command, Config, Diverged, StateChanged } from '@adamflow/protocol';
import type { SessionCheckpoint } from '@adamflow/stream';

/** The run on disk: the session's own checkpoint and what the dashboard keeps around it. */
export interface DashboardCheckpoint {
  format: 'adamflow.dashboard-checkpoint';
  version: 1;
  /** The seed the sources were drawn with; a server with another seed starts fresh. */
  seed: number;
  source: Config['source'];
  /** Samples drawn by earlier sessions of the run (a restart after divergence begins a new one). */
  sampleOffset: number;
  /** The run's sample count when the current source was chosen (the drift's clock). */
  sourceStart: number;
  paused: boolean;
  /** Set when the run had diverged: it is restored diverged (paused, with the reason). */
  diverged: Diverged | null;
  /** The last good session state (before the divergence, if any). */
  session: SessionCheckpoint;
}

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
  | { type: 'start'; options: TrainerOptions; from?: DashboardCheckpoint }
  | { type: 'checkpoint'; id: number }
  | { type: 'command'; id: number; command: Command }
  /** Go back to a checkpoint (the server read and checked it); answered by a command-result. */
  | { type: 'restore'; id: number; from: DashboardCheckpoint }
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
  /** `start`, or a `state-changed` reason (every command that changes the run has one). */
  reason: 'start' | StateChanged['reason'];
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
  | { type: 'checkpoint-result'; id: number; checkpoint: DashboardCheckpoint | null }
  /** The checkpoint given at start could not be restored; the run started fresh. */
  | { type: 'restore-failed'; message: string }
  | { type: 'failed'; message: string; code: string | null };
