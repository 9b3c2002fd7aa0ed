import type { Command, Config, Diverged, ParamsUpdate, StateChanged } from '@adamflow/protocol';
import type { SessionCheckpoint } from '@adamflow/stream';
import type { SavedContestants } from './contestants.js';

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
  /** The race beside the run's own optimizer, taken with `session`; absent from older files. */
  contestants?: SavedContestants;
}

/** How the trainer starts. */
export interface TrainerOptions {
  /** Samples per second; null runs flat out. */
  rate: number | null;
  /** PRNG seed of the sources. */
  seed: number;
  /** Initial learning rate. */
  lr: number;
  /** How often the worker emits a `params-update`, in ms (the server's broadcast interval). */
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

/** A frame before its `seq` and `time`, which the server stamps when it broadcasts it. */
export type Unstamped<T> = Omit<T, 'seq' | 'time'>;

/**
 * What the trainer emits: the protocol's own frames, unstamped. A `params-update` every
 * `reportMs` while samples are drawn (their scatter samples already thinned), a
 * `state-changed` after each command and when the run diverges.
 */
export type TrainerFrame = Unstamped<ParamsUpdate> | Unstamped<StateChanged>;

/** Worker -> main thread. */
export type FromTrainer =
  | TrainerFrame
  /** The run as it starts (fresh, or restored): the first state, not broadcast. */
  | { type: 'started'; state: Unstamped<StateChanged> }
  | { type: 'command-result'; id: number; ok: boolean; message: string | null }
  | { type: 'checkpoint-result'; id: number; checkpoint: DashboardCheckpoint | null }
  /** The checkpoint given at start could not be restored; the run started fresh. */
  | { type: 'restore-failed'; message: string }
  | { type: 'failed'; message: string; code: string | null };
