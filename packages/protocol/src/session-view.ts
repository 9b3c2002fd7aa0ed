import { PROTOCOL_VERSION } from './codes.js';
import type {
  Config,
  ContestantStatus,
  Diverged,
  ParamsUpdate,
  ServerMessage,
  Snapshot,
  StateChanged,
} from './messages.js';

/**
 * The downsampled loss and parameter history, as columns: one array per kept parameter
 * trajectory, the first `trajectoryLimit` parameters (see {@link SessionViewLimits}).
 */
export interface ViewHistory {
  step: number[];
  loss: number[];
  lossEma: number[];
  /** The trajectories of the first min(parameters, `trajectoryLimit`) parameters. */
  params: number[][];
  /** One point is kept per `stride` offered; doubles each time the history fills. */
  stride: number;
  /** Points offered since the history was last cleared. */
  offered: number;
  /** Each contestant's rolling loss and parameters at the same points (null before it entered). */
  contestants: ContestantHistory[];
}

/** One contestant's columns in a {@link ViewHistory}, aligned with its `step` column. */
export interface ContestantHistory {
  id: string;
  lossEma: (number | null)[];
  params: (number | null)[][];
}

/**
 * A session as the server's frames describe it: what a page draws and what a
 * snapshot sends. Plain data, never mutated: {@link applyServerMessage} returns a new
 * view. The server keeps one by applying the frames it broadcasts (so its snapshot is
 * exactly what a page that saw every frame holds), a page by applying the frames it
 * receives, a gateway by applying the frames it relays.
 */
export interface SessionView {
  /** The run's configuration; null until the first snapshot or state change. */
  config: Config | null;
  truth: number[] | null;
  /** The latest parameters: all of them, or the first ones of a big model (see `paramCount`). */
  params: number[];
  /**
   * The model's parameter count: `params.length`, or more when the server sends only
   * the first parameters of a big model (a frame's `paramCount`).
   */
  paramCount: number;
  step: number;
  samples: number;
  samplesPerSecond: number;
  loss: number | null;
  lossEma: number | null;
  diverged: Diverged | null;
  /** Where each contestant of `config.contestants` is (the primary one is the fields above). */
  contestants: ContestantStatus[];
  history: ViewHistory;
  /** The latest samples for the scatter, oldest first (at most `recentLimit`). */
  recent: { x: number[]; y: number[] };
  /** `seq` and `time` of the last frame applied (0 before any). */
  seq: number;
  time: number;
  /** Connected clients, as of the last snapshot. */
  clients: number;
}

/** Bounds of a {@link SessionView}. */
export interface SessionViewLimits {
  /** History points kept at most (downsampled evenly); default 1000. */
  historyLimit?: number;
  /** Samples kept for the scatter; default 400. */
  recentLimit?: number;
  /**
   * Parameter trajectories the history keeps: those of the first this many parameters
   * (and of each contestant's first this many); default 16. Every kept point copies
   * each kept column (a view is never changed under its holder), so this bounds a
   * frame's cost however many parameters a model has: a page cannot usefully draw
   * thousands of lines anyway. The latest parameters (`params`) are always all there.
   */
  trajectoryLimit?: number;
}

const DEFAULT_HISTORY = 1000;
const DEFAULT_RECENT = 400;
const DEFAULT_TRAJECTORIES = 16;
// The reasons after which a client starts its history over.
const RESTART_REASONS: ReadonlySet<StateChanged['reason']> = new Set([
  'reset',
  'set-source',
  'restore',
]);
// The reasons after which the samples belong to another run: a new source, or a
// checkpoint gone back to (which may have had another source).
const NEW_DATA_REASONS: ReadonlySet<StateChanged['reason']> = new Set(['set-source', 'restore']);

/**
 * The view before any frame: no configuration, nothing drawn.
 *
 * @returns a fresh, empty view.
 * @example
 * ```ts
 * import { emptySessionView } from '@adamflow/protocol';
 * let view = emptySessionView();
 * ```
 */
export function emptySessionView(): SessionView {
  return {
    config: null,
    truth: null,
    params: [],
    paramCount: 0,
    step: 0,
    samples: 0,
    samplesPerSecond: 0,
    loss: null,
    lossEma: null,
    diverged: null,
    contestants: [],
    history: emptyHistory(0),
    recent: { x: [], y: [] },
    seq: 0,
    time: 0,
    clients: 0,
  };
}

/**
 * The session after one server frame: the one update function of the dashboard's
 * state, pure (no I/O, the input view is never changed), shared by the server, the
 * page and any relay. A `snapshot` replaces the view; a `params-update` moves it on
 * (a history point, the new samples); a `state-changed` sets the configuration and,
 * after `reset`, `set-source`, `restore` or a step count that went down, starts the
 * history over (after `set-source` and `restore`, the recent samples too).
 * Acknowledgements and errors leave it as it is (the same object is returned).
 *
 * @param view - the view so far.
 * @param message - a frame from the server (validated, e.g. by `parseServerMessage`).
 * @param limits - {@link SessionViewLimits}.
 * @returns the new view.
 * @example
 * ```ts
 * import { applyServerMessage, emptySessionView, parseServerMessage } from '@adamflow/protocol';
 * let view = emptySessionView();
 * const message = parseServerMessage(JSON.parse('{"type":"command-ack","id":null,"command":"pause"}'));
 * if (message) view = applyServerMessage(view, message);
 * ```
 */
export function applyServerMessage(
  view: SessionView,
  message: ServerMessage,
  limits: SessionViewLimits = {},
): SessionView {
  const trajectories = trajectoryLimitOf(limits);
  switch (message.type) {
    case 'snapshot':
      return fromSnapshot(message, limits, trajectories);
    case 'params-update':
      return applyUpdate(view, message, limits, trajectories);
    case 'state-changed':
      return applyStateChanged(view, message, trajectories);
    default:
      return view;
  }
}

/**
 * The snapshot that describes `view`: what the server sends on connect.
 *
 * @param view - a view that has a configuration.
 * @param stamp - the broadcast sequence number and time it is current as of, and the client count.
 * @returns the snapshot frame.
 * @throws Error when the view has no configuration yet (nothing to draw).
 * @example
 * ```ts
 * import { snapshotOfView } from '@adamflow/protocol';
 * const snapshot = snapshotOfView(view, { seq: 10, time: Date.now(), clients: 3 });
 * ```
 */
export function snapshotOfView(
  view: SessionView,
  stamp: { seq: number; time: number; clients: number },
): Snapshot {
  if (!view.config) throw new Error('snapshotOfView: the view has no configuration yet');
  const { history } = view;
  return {
    type: 'snapshot',
    protocol: PROTOCOL_VERSION,
    seq: stamp.seq,
    time: stamp.time,
    config: view.config,
    truth: view.truth,
    params: view.params,
    // Only a big model's: a small one's snapshot is what it was before there was a count.
    ...(view.paramCount > view.params.length ? { paramCount: view.paramCount } : {}),
    step: view.step,
    samples: view.samples,
    samplesPerSecond: view.samplesPerSecond,
    loss: view.loss,
    lossEma: view.lossEma,
    history: {
      step: history.step,
      loss: history.loss,
      lossEma: history.lossEma,
      params: history.params,
      stride: history.stride,
      offered: history.offered,
      contestants: history.contestants,
    },
    recent: view.recent,
    clients: stamp.clients,
    diverged: view.diverged,
    contestants: view.contestants,
  };
}

function trajectoryLimitOf(limits: SessionViewLimits): number {
  const limit = limits.trajectoryLimit ?? DEFAULT_TRAJECTORIES;
  if (!(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(
      `applyServerMessage: trajectoryLimit must be a non-negative integer, got ${limit}`,
    );
  }
  return limit;
}

/** The first `limit` columns (the same array when there are no more). */
function firstColumns<T>(columns: T[], limit: number): T[] {
  return columns.length > limit ? columns.slice(0, limit) : columns;
}

function fromSnapshot(
  snapshot: Snapshot,
  limits: SessionViewLimits,
  trajectories: number,
): SessionView {
  const { history } = snapshot;
  const recentLimit = limits.recentLimit ?? DEFAULT_RECENT;
  const parameters = snapshot.params.length;
  // A server keeps the first few trajectories (or, if older, all of them): accepted as
  // long as they are the first ones; anything else gets empty (NaN) columns.
  const sent = history.params.length;
  const columns =
    sent === parameters || (sent > 0 && sent < parameters)
      ? firstColumns(history.params, trajectories)
      : Array.from({ length: Math.min(parameters, trajectories) }, () =>
          history.step.map(() => Number.NaN),
        );
  return {
    config: snapshot.config,
    truth: snapshot.truth,
    params: snapshot.params,
    paramCount: snapshot.paramCount ?? parameters,
    step: snapshot.step,
    samples: snapshot.samples,
    samplesPerSecond: snapshot.samplesPerSecond,
    loss: snapshot.loss,
    lossEma: snapshot.lossEma,
    diverged: snapshot.diverged,
    contestants: snapshot.contestants ?? [],
    history: {
      step: history.step,
      loss: history.loss,
      lossEma: history.lossEma,
      params: columns,
      stride: history.stride ?? 1,
      offered: history.offered ?? history.step.length,
      contestants: (history.contestants ?? []).map((kept) =>
        kept.params.length > trajectories
          ? { ...kept, params: firstColumns(kept.params, trajectories) }
          : kept,
      ),
    },
    recent: {
      x: snapshot.recent.x.slice(-recentLimit),
      y: snapshot.recent.y.slice(-recentLimit),
    },
    seq: snapshot.seq,
    time: snapshot.time,
    clients: snapshot.clients,
  };
}

function applyUpdate(
  view: SessionView,
  update: ParamsUpdate,
  limits: SessionViewLimits,
  trajectories: number,
): SessionView {
  // A non-finite parameter would not survive JSON; a producer that lets one through
  // (in memory, before serializing) gets its frame ignored rather than drawn.
  if (!update.params.every(Number.isFinite)) return view;
  const recentLimit = limits.recentLimit ?? DEFAULT_RECENT;
  const contestants = update.contestants ?? view.contestants;
  // A new parameter count (another source or model) starts the history over.
  const parameters = update.params.length;
  const paramCount = update.paramCount ?? parameters;
  const base =
    view.params.length === parameters &&
    view.paramCount === paramCount &&
    view.history.params.length <= parameters
      ? view.history
      : emptyHistory(Math.min(parameters, trajectories));
  const history =
    update.loss !== null && update.lossEma !== null
      ? addPoint(
          base,
          { ...update, loss: update.loss, lossEma: update.lossEma, contestants },
          limits.historyLimit ?? DEFAULT_HISTORY,
        )
      : base;
  return {
    ...view,
    truth: update.truth,
    params: update.params,
    paramCount,
    step: update.step,
    samples: update.samples,
    samplesPerSecond: update.samplesPerSecond,
    loss: update.loss,
    lossEma: update.lossEma,
    contestants,
    history,
    recent: {
      x: appendWindow(view.recent.x, update.recent.x, recentLimit),
      y: appendWindow(view.recent.y, update.recent.y, recentLimit),
    },
    seq: update.seq,
    time: update.time,
  };
}

function applyStateChanged(
  view: SessionView,
  change: StateChanged,
  trajectories: number,
): SessionView {
  const restarted = RESTART_REASONS.has(change.reason) || change.step < view.step;
  // Another parameter count makes the kept trajectories another model's.
  const paramCount = change.paramCount ?? change.params.length;
  const reshaped = change.params.length !== view.params.length || paramCount !== view.paramCount;
  const history = emptyHistory(Math.min(change.params.length, trajectories));
  return {
    ...view,
    config: change.config,
    truth: change.truth,
    params: change.params,
    paramCount,
    step: change.step,
    samples: change.samples,
    // Nothing is trained while paused: no rate to show.
    samplesPerSecond: change.config.paused ? 0 : view.samplesPerSecond,
    diverged: change.diverged,
    contestants: change.contestants ?? [],
    ...(reshaped ? { history } : {}),
    ...(restarted ? { loss: null, lossEma: null, history } : {}),
    ...(NEW_DATA_REASONS.has(change.reason) ? { recent: { x: [], y: [] } } : {}),
    seq: change.seq,
    time: change.time,
  };
}

function emptyHistory(columns: number): ViewHistory {
  return {
    step: [],
    loss: [],
    lossEma: [],
    params: Array.from({ length: columns }, () => []),
    stride: 1,
    offered: 0,
    contestants: [],
  };
}

/** A history point: the primary contestant's numbers and every other contestant's. */
interface Point {
  step: number;
  loss: number;
  lossEma: number;
  params: number[];
  contestants: ContestantStatus[];
}

/**
 * Offers a point to the history: kept if it falls on the stride; when the history is
 * full, every other point goes and the stride doubles, so it always spans the whole
 * run at roughly even spacing. Only the kept columns (the history's first
 * trajectories) are copied: a point costs O(kept columns × points), not O(parameters × points).
 */
function addPoint(base: ViewHistory, point: Point, limit: number): ViewHistory {
  if (base.offered % base.stride !== 0) return { ...base, offered: base.offered + 1 };
  const length = base.step.length;
  let next: ViewHistory = {
    step: [...base.step, point.step],
    loss: [...base.loss, point.loss],
    lossEma: [...base.lossEma, point.lossEma],
    params: base.params.map((column, j) => [...column, point.params[j]!]),
    stride: base.stride,
    offered: base.offered + 1,
    // The contestants of this point; one that just entered has nothing before it.
    contestants: point.contestants.map((status) => {
      const kept = base.contestants.find((columns) => columns.id === status.id);
      const before = (column: (number | null)[] | undefined) =>
        column?.length === length ? column : new Array<null>(length).fill(null);
      return {
        id: status.id,
        lossEma: [...before(kept?.lossEma), status.lossEma],
        params: base.params.map((_, j) => [...before(kept?.params[j]), status.params[j] ?? null]),
      };
    }),
  };
  if (next.step.length >= limit) {
    const even = <T>(_: T, i: number) => i % 2 === 0;
    next = {
      step: next.step.filter(even),
      loss: next.loss.filter(even),
      lossEma: next.lossEma.filter(even),
      params: next.params.map((column) => column.filter(even)),
      stride: next.stride * 2,
      offered: next.offered,
      contestants: next.contestants.map((columns) => ({
        id: columns.id,
        lossEma: columns.lossEma.filter(even),
        params: columns.params.map((column) => column.filter(even)),
      })),
    };
  }
  return next;
}

/** `kept` followed by `added`, keeping the newest `limit`. */
function appendWindow(kept: number[], added: number[], limit: number): number[] {
  if (added.length === 0) return kept;
  const all = kept.concat(added);
  return all.length > limit ? all.slice(all.length - limit) : all;
}
