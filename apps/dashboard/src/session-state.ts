import {
  applyServerMessage,
  type Config,
  emptySessionView,
  MAX_RECENT_PER_UPDATE,
  type ParamsUpdate,
  type ServerMessage,
  type SessionView,
  type SessionViewLimits,
  type Snapshot,
  type StateChanged,
  snapshotOfView,
} from '@adamflow/protocol';
import type { TrainerFrame, Unstamped } from './trainer-messages.js';

export type { Unstamped } from './trainer-messages.js';

/** Options of {@link SessionState}. */
export interface SessionStateOptions {
  /** History points kept (downsampled); default 1000. */
  historyLimit?: number;
  /** Recent samples kept for the scatter; default 400. */
  recentLimit?: number;
}

// Merged state changes keep the reason that tells clients to clear their history.
const REASON_RANK: Partial<Record<StateChanged['reason'], number>> = {
  reset: 1,
  'set-source': 2,
  // Clears the history and the samples, like set-source, and may bring back another source.
  restore: 3,
};
// Frames held between two ticks at most; past it the oldest update goes (the state
// changes after it carry the whole state) or the last two changes are merged.
const MAX_PENDING = 8;

/**
 * The run as the server knows it: the frames a producer emits (the trainer in a
 * worker today, a message bus tomorrow) held until the next broadcast tick, and the
 * {@link SessionView} of everything broadcast so far, kept with the protocol's own
 * `applyServerMessage`, so a snapshot is exactly what a client that saw every frame
 * holds. Between two ticks, state changes are merged into one (a divergence stands
 * on its own) and updates into one (latest wins); updates are dropped while the run
 * is paused or diverged, or when they bring nothing new. Knows nothing of sockets.
 *
 * @example
 * ```ts
 * const state = new SessionState();
 * state.start(firstState);
 * state.offer(frame); // from the trainer
 * for (const frame of state.take()) {
 *   const stamped = { ...frame, seq: ++seq, time: Date.now() };
 *   state.commit(stamped);
 *   broadcast(stamped);
 * }
 * ```
 */
export class SessionState {
  /** The session as of the last frame committed: what a snapshot sends. */
  view: SessionView = emptySessionView();
  private readonly limits: SessionViewLimits;
  private pending: TrainerFrame[] = [];

  constructor(options: SessionStateOptions = {}) {
    this.limits = {
      historyLimit: options.historyLimit ?? 1000,
      recentLimit: options.recentLimit ?? 400,
    };
  }

  /** The run as it starts (nobody to tell yet): the view's first state. */
  start(state: Unstamped<StateChanged>): void {
    this.pending = [];
    this.view = applyServerMessage(this.view, { ...state, seq: 0, time: 0 }, this.limits);
  }

  /** Holds a producer's frame for the next tick, merged with those already held. */
  offer(frame: TrainerFrame): void {
    if (frame.type === 'params-update') this.offerUpdate(frame);
    else this.offerChange(frame);
    while (this.pending.length > MAX_PENDING) this.shed();
  }

  /** The frames to broadcast this tick, in order, once (usually none, one or two). */
  take(): TrainerFrame[] {
    const frames = this.pending;
    this.pending = [];
    return frames;
  }

  /** Applies a frame as broadcast (stamped) to the view. */
  commit(frame: ServerMessage): void {
    this.view = applyServerMessage(this.view, frame, this.limits);
  }

  /** Whether the producer has reported its configuration (a snapshot can be drawn). */
  get ready(): boolean {
    return this.view.config !== null;
  }

  /** Everything a client needs to draw, as of broadcast `seq`. */
  snapshot(seq: number, time: number, clients: number): Snapshot {
    return snapshotOfView(this.view, { seq, time, clients });
  }

  private offerUpdate(update: Unstamped<ParamsUpdate>): void {
    // The trainer stops on a non-finite parameter; never let one reach a frame.
    if (!update.params.every(Number.isFinite)) return;
    if (this.latestConfig()?.paused) return;
    const last = this.pending.at(-1);
    const latest = last?.type === 'params-update' ? last : this.view;
    if (
      update.step === latest.step &&
      update.samples === latest.samples &&
      update.recent.x.length === 0
    ) {
      return;
    }
    if (last?.type !== 'params-update') {
      this.pending.push(update);
      return;
    }
    // Latest wins; the samples of both go out, the newest if there are too many.
    const x = last.recent.x.concat(update.recent.x).slice(-MAX_RECENT_PER_UPDATE);
    const y = last.recent.y.concat(update.recent.y).slice(-MAX_RECENT_PER_UPDATE);
    this.pending[this.pending.length - 1] = { ...update, recent: { x, y } };
  }

  private offerChange(change: Unstamped<StateChanged>): void {
    // Merged with the changes since the last tick into the latest state, keeping the
    // reason that matters most to clients (one that clears their history). A
    // divergence is never merged away: it, and what follows it, go out on their own.
    const last = this.pending.at(-1);
    if (
      last?.type !== 'state-changed' ||
      last.reason === 'diverged' ||
      change.reason === 'diverged'
    ) {
      this.pending.push(change);
      return;
    }
    this.pending[this.pending.length - 1] = merged(last, change);
  }

  /** Makes room: drops the oldest update, or else merges the last two changes. */
  private shed(): void {
    const update = this.pending.findIndex((frame) => frame.type === 'params-update');
    if (update >= 0) {
      this.pending.splice(update, 1);
      return;
    }
    const newer = this.pending.pop() as Unstamped<StateChanged>;
    const older = this.pending.pop() as Unstamped<StateChanged>;
    this.pending.push(merged(older, newer));
  }

  /** The configuration clients will have once the held frames are out. */
  private latestConfig(): Config | null {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const frame = this.pending[i]!;
      if (frame.type === 'state-changed') return frame.config;
    }
    return this.view.config;
  }
}

/** The newer change, under the reason of higher rank. */
function merged(
  older: Unstamped<StateChanged>,
  newer: Unstamped<StateChanged>,
): Unstamped<StateChanged> {
  const keep = (REASON_RANK[older.reason] ?? 0) > (REASON_RANK[newer.reason] ?? 0);
  return keep ? { ...newer, reason: older.reason } : newer;
}
