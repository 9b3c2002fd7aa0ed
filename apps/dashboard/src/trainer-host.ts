import { Worker } from 'node:worker_threads';
import type { Command, StateChanged } from '@adamflow/protocol';
import type {
  DashboardCheckpoint,
  FromTrainer,
  ToTrainer,
  TrainerFrame,
  TrainerOptions,
  Unstamped,
} from './trainer-messages.js';

/** What the host tells its owner. */
export interface TrainerListener {
  /** The run as it starts (fresh or restored): the view's first state. */
  started(state: Unstamped<StateChanged>): void;
  /** A frame for clients (a params-update or a state-changed), before its stamp. */
  frame(frame: TrainerFrame): void;
  failed(message: string, code: string | null): void;
  /** The checkpoint given at start was refused (why); the run started fresh. */
  restoreFailed?(message: string): void;
}

/**
 * The main-thread side of the trainer: starts the worker, forwards commands, and
 * resolves each command with the worker's verdict (commands are applied in order,
 * between two samples).
 *
 * @example
 * ```ts
 * const trainer = new TrainerHost({ rate: 1000, seed: 42, lr: 0.01, reportMs: 16 }, listener);
 * await trainer.command({ type: 'pause' });
 * await trainer.stop();
 * ```
 */
export class TrainerHost {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    (result: { ok: boolean; message: string | null }) => void
  >();
  private readonly checkpoints = new Map<
    number,
    (checkpoint: DashboardCheckpoint | null) => void
  >();
  private stopped = false;

  /**
   * @param options - how the trainer runs.
   * @param listener - receives the start, frames and failures.
   * @param workerUrl - the worker's module; default trainer-worker.js beside this file.
   * @param from - a checkpoint to continue from; if the worker refuses it, it starts fresh
   *   and tells `listener.restoreFailed`.
   */
  constructor(
    options: TrainerOptions,
    listener: TrainerListener,
    workerUrl?: URL,
    from?: DashboardCheckpoint,
  ) {
    this.worker = new Worker(workerUrl ?? new URL('./trainer-worker.js', import.meta.url));
    this.worker.on('message', (message: FromTrainer) => {
      switch (message.type) {
        case 'params-update':
        case 'state-changed':
          return listener.frame(message);
        case 'started':
          return listener.started(message.state);
        case 'command-result': {
          const resolve = this.pending.get(message.id);
          this.pending.delete(message.id);
          return resolve?.({ ok: message.ok, message: message.message });
        }
        case 'checkpoint-result': {
          const resolve = this.checkpoints.get(message.id);
          this.checkpoints.delete(message.id);
          return resolve?.(message.checkpoint);
        }
        case 'restore-failed':
          return listener.restoreFailed?.(message.message);
        case 'failed':
          return listener.failed(message.message, message.code);
      }
    });
    this.worker.on('error', (error) => listener.failed(error.message, null));
    this.worker.on('exit', (code) => {
      if (!this.stopped) listener.failed(`trainer worker exited with code ${code}`, null);
      for (const resolve of this.pending.values())
        resolve({ ok: false, message: 'trainer stopped' });
      this.pending.clear();
      for (const resolve of this.checkpoints.values()) resolve(null);
      this.checkpoints.clear();
    });
    this.send(from ? { type: 'start', options, from } : { type: 'start', options });
  }

  /** Applies a command in the trainer; resolves with whether it took effect. */
  command(command: Command): Promise<{ ok: boolean; message: string | null }> {
    if (this.stopped) return Promise.resolve({ ok: false, message: 'trainer stopped' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'command', id, command });
    });
  }

  /**
   * Goes back to `from` (between two samples); resolves with whether it did. A checkpoint
   * the trainer refuses (another seed, a broken session) leaves the run as it was.
   */
  restore(from: DashboardCheckpoint): Promise<{ ok: boolean; message: string | null }> {
    if (this.stopped) return Promise.resolve({ ok: false, message: 'trainer stopped' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'restore', id, from });
    });
  }

  /** The run's checkpoint, taken between two samples; null once stopped or before any session. */
  checkpoint(): Promise<DashboardCheckpoint | null> {
    if (this.stopped) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.checkpoints.set(id, resolve);
      this.send({ type: 'checkpoint', id });
    });
  }

  /** Stops training and the worker. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.send({ type: 'stop' });
    await this.worker.terminate();
  }

  private send(message: ToTrainer): void {
    this.worker.postMessage(message);
  }
}
