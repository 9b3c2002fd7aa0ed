import {
  type Config,
  type Diverged,
  type ParamsUpdate,
  PROTOCOL_VERSION,
  type Snapshot,
  type StateChanged,
} from '@adamflow/protocol';
import { History } from './history.js';
import type { TrainerReport, TrainerState } from './trainer-messages.js';

/** Options of {@link SessionState}. */
export interface SessionStateOptions {
  /** History points kept (downsampled); default 1000. */
  historyLimit?: number;
  /** Recent samples kept for the scatter; default 400. */
  recentLimit?: number;
}

/** A broadcast before its `seq` and `time`, which the sender stamps. */
export type Unstamped<T> = Omit<T, 'seq' | 'time'>;

// Samples per update for the scatter: 30 updates/s x 32 refreshes a 400-point scatter
// in under half a second, and keeps every frame to every client near 1 KiB.
const RECENT_PER_UPDATE = 32;
// Merged state changes keep the reason that tells clients to clear their history.
const REASON_RANK: Partial<Record<StateChanged['reason'], number>> = {
  reset: 1,
  'set-source': 2,
  restore: 3,
};
// Reasons after which the history and the recent samples belong to another run: a new
// source, or a checkpoint gone back to (which may have had another source).
const NEW_DATA = new Set<StateChanged['reason']>(['set-source', 'restore']);
// Changes kept apart per tick at most (only a divergence is not merged).
const MAX_PENDING_CHANGES = 4;

/**
 * The run as the server knows it: the trainer's reports and state changes folded
 * into what the protocol sends (snapshot, params-update, state-changed). Knows
 * nothing of sockets or of where reports come from (a worker today, a message bus
 * tomorrow). State changes between two ticks are merged into one; updates are held
 * back while the run is paused or diverged.
 *
 * @example
 * ```ts
 * const state = new SessionState();
 * state.applyState(trainerState);
 * state.applyReport(trainerReport);
 * const changes = state.takeStateChanges(); // usually none or one
 * const update = state.takeUpdate(); // undefined when nothing changed
 * ```
 */
export class SessionState {
  config: Config | undefined;
  truth: number[] | null = null;
  params: number[] = [0, 0];
  step = 0;
  samples = 0;
  loss: number | null = null;
  lossEma: number | null = null;
  samplesPerSecond = 0;
  diverged: Diverged | null = null;
  private pendingX: number[] = [];
  private pendingY: number[] = [];
  private readonly recentX: number[] = [];
  private readonly recentY: number[] = [];
  private readonly recentLimit: number;
  private readonly history: History;
  private dirty = false;
  private pendingChanges: Unstamped<StateChanged>[] = [];

  constructor(options: SessionStateOptions = {}) {
    this.history = new History(options.historyLimit ?? 1000);
    this.recentLimit = options.recentLimit ?? 400;
  }

  /** Folds in a periodic report; ignores one that brings nothing new or a non-finite parameter. */
  applyReport(report: TrainerReport): void {
    // Nothing new while paused: no broadcast (the heartbeat keeps connections alive).
    if (report.samples === this.samples && report.step === this.step && report.recentX.length === 0)
      return;
    // The trainer stops on a non-finite parameter; never let one reach a frame.
    if (!report.params.every(Number.isFinite)) return;
    this.step = report.step;
    this.samples = report.samples;
    this.params = report.params;
    this.loss = report.loss;
    this.lossEma = report.lossEma;
    this.samplesPerSecond = report.samplesPerSecond;
    this.truth = report.truth;
    for (let i = 0; i < report.recentX.length; i++) {
      this.pendingX.push(report.recentX[i]!);
      this.pendingY.push(report.recentY[i]!);
      this.recentX.push(report.recentX[i]!);
      this.recentY.push(report.recentY[i]!);
    }
    if (this.pendingX.length > 256) {
      this.pendingX = this.pendingX.slice(-256);
      this.pendingY = this.pendingY.slice(-256);
    }
    if (this.recentX.length > this.recentLimit) {
      this.recentX.splice(0, this.recentX.length - this.recentLimit);
      this.recentY.splice(0, this.recentY.length - this.recentLimit);
    }
    if (this.loss !== null && this.lossEma !== null) {
      this.history.add({
        step: this.step,
        loss: this.loss,
        lossEma: this.lossEma,
        params: this.params,
      });
    }
    this.dirty = true;
  }

  /** Folds in a state change (after a command, at start, on divergence). */
  applyState(state: TrainerState): void {
    const restarted =
      state.reason === 'reset' ||
      (state.reason !== 'start' && NEW_DATA.has(state.reason)) ||
      state.step < this.step;
    this.config = state.config;
    this.truth = state.truth;
    this.params = state.params;
    this.step = state.step;
    this.samples = state.samples;
    this.diverged = state.diverged;
    if (restarted) {
      this.history.clear();
      this.loss = null;
      this.lossEma = null;
    }
    if (state.reason !== 'start' && NEW_DATA.has(state.reason)) {
      this.recentX.length = 0;
      this.recentY.length = 0;
      this.pendingX = [];
      this.pendingY = [];
    }
    if (state.reason === 'start') return;
    const change: Unstamped<StateChanged> = {
      type: 'state-changed',
      reason: state.reason,
      config: state.config,
      truth: this.truth,
      params: this.params,
      step: this.step,
      samples: this.samples,
      diverged: this.diverged,
    };
    // Merged with the changes since the last tick into the latest state, keeping the
    // reason that matters most to clients (one that clears their history). A
    // divergence is never merged away: it, and what follows it, go out on their own.
    const last = this.pendingChanges.at(-1);
    const merge =
      last !== undefined &&
      last.reason !== 'diverged' &&
      (state.reason !== 'diverged' || this.pendingChanges.length >= MAX_PENDING_CHANGES);
    if (!merge) {
      this.pendingChanges.push(change);
      return;
    }
    if ((REASON_RANK[last.reason] ?? 0) > (REASON_RANK[change.reason] ?? 0)) {
      change.reason = last.reason;
    }
    this.pendingChanges[this.pendingChanges.length - 1] = change;
  }

  /** Whether the trainer has reported its configuration (a snapshot can be drawn). */
  get ready(): boolean {
    return this.config !== undefined;
  }

  /**
   * The state changes to broadcast this tick, once: all since the last tick merged
   * into one, except that a divergence stands on its own (so at most a few).
   */
  takeStateChanges(): Unstamped<StateChanged>[] {
    const changes = this.pendingChanges;
    this.pendingChanges = [];
    return changes;
  }

  /** The update to broadcast this tick, once; none while paused or diverged. */
  takeUpdate(): Unstamped<ParamsUpdate> | undefined {
    if (!this.dirty || !this.config || this.config.paused) return undefined;
    this.dirty = false;
    const update: Unstamped<ParamsUpdate> = {
      type: 'params-update',
      step: this.step,
      samples: this.samples,
      params: this.params,
      loss: this.loss,
      lossEma: this.lossEma,
      samplesPerSecond: this.samplesPerSecond,
      truth: this.truth,
      recent: thin(this.pendingX, this.pendingY, RECENT_PER_UPDATE),
    };
    this.pendingX = [];
    this.pendingY = [];
    return update;
  }

  /** Everything a client needs to draw, as of broadcast `seq`. */
  snapshot(seq: number, time: number, clients: number): Snapshot {
    if (!this.config) throw new Error('SessionState.snapshot: the trainer has not reported yet');
    return {
      type: 'snapshot',
      protocol: PROTOCOL_VERSION,
      seq,
      time,
      config: this.config,
      truth: this.truth,
      params: this.params,
      step: this.step,
      samples: this.samples,
      samplesPerSecond: this.samplesPerSecond,
      loss: this.loss,
      lossEma: this.lossEma,
      history: this.history.columns(this.params.length),
      recent: { x: this.recentX.slice(), y: this.recentY.slice() },
      clients,
      diverged: this.diverged,
    };
  }
}

/**
 * At most `limit` of the pairs, evenly spaced, rounded to 4 decimals: the scatter
 * needs no more, and full doubles would more than double every frame sent to every
 * client.
 */
function thin(x: number[], y: number[], limit: number): { x: number[]; y: number[] } {
  const count = Math.min(limit, x.length);
  const step = x.length / Math.max(count, 1);
  const out = { x: new Array<number>(count), y: new Array<number>(count) };
  for (let i = 0; i < count; i++) {
    const j = Math.floor(i * step);
    out.x[i] = Math.round(x[j]! * 1e4) / 1e4;
    out.y[i] = Math.round(y[j]! * 1e4) / 1e4;
  }
  return out;
}
