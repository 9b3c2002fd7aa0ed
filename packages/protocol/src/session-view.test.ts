import { describe, expect, it } from 'vitest';
import { leaderboardOf } from './leaderboard.js';
import type { Config, ParamsUpdate, Snapshot, StateChanged } from './messages.js';
import { parseServerMessage } from './messages.js';
import { applyServerMessage, emptySessionView, snapshotOfView } from './session-view.js';

const config: Config = {
  source: 'seed',
  model: 'linear-regression',
  features: 1,
  optimizer: 'adam',
  lr: 0.01,
  batchSize: 1,
  rate: 1000,
  paused: false,
};

let seq = 0;
const change = (
  reason: StateChanged['reason'],
  extra: Partial<StateChanged> = {},
): StateChanged => ({
  type: 'state-changed',
  seq: ++seq,
  time: seq,
  reason,
  config,
  truth: [4, 3],
  params: [0, 0],
  step: 0,
  samples: 0,
  diverged: null,
  ...extra,
});

const update = (step: number, extra: Partial<ParamsUpdate> = {}): ParamsUpdate => ({
  type: 'params-update',
  seq: ++seq,
  time: seq,
  step,
  samples: step,
  params: [step / 10, step / 20],
  loss: 1 / step,
  lossEma: 2 / step,
  samplesPerSecond: 1000,
  truth: [4, 3],
  recent: { x: [step], y: [-step] },
  ...extra,
});

/** Applies the frames in order from an empty view. */
const fold = (frames: (StateChanged | ParamsUpdate | Snapshot)[], limits = {}) =>
  frames.reduce((view, frame) => applyServerMessage(view, frame, limits), emptySessionView());

describe('applyServerMessage', () => {
  it('moves the view on with each update: a history point, the new samples, the latest numbers', () => {
    const view = fold([change('reset'), update(1), update(2)]);
    expect(view).toMatchObject({
      config,
      step: 2,
      samples: 2,
      params: [0.2, 0.1],
      loss: 0.5,
      lossEma: 1,
      samplesPerSecond: 1000,
      recent: { x: [1, 2], y: [-1, -2] },
    });
    expect(view.history).toMatchObject({
      step: [1, 2],
      loss: [1, 0.5],
      lossEma: [2, 1],
      params: [
        [0.1, 0.2],
        [0.05, 0.1],
      ],
    });
  });

  it('never changes the view it is given', () => {
    const before = fold([change('reset'), update(1)]);
    const copy = structuredClone(before);
    applyServerMessage(before, update(2));
    applyServerMessage(before, change('set-source', { step: 5 }));
    expect(before).toEqual(copy);
  });

  it('starts the history over after reset, set-source or a step that went down; set-source also clears the scatter', () => {
    const running = fold([change('reset'), update(1), update(2)]);
    const afterLr = applyServerMessage(running, change('set-lr', { step: 2, samples: 2 }));
    expect(afterLr.history.step).toEqual([1, 2]);
    const restarted = applyServerMessage(running, change('set-lr', { step: 0, samples: 2 }));
    expect(restarted.history.step).toEqual([]);
    expect(restarted.lossEma).toBeNull();
    expect(restarted.recent.x).toEqual([1, 2]);
    const reset = applyServerMessage(running, change('reset', { step: 2 }));
    expect(reset.history.step).toEqual([]);
    const sourced = applyServerMessage(running, change('set-source', { step: 2 }));
    expect(sourced.recent).toEqual({ x: [], y: [] });
  });

  it('starts the history and the scatter over after a restore, even when the step goes forward', () => {
    const running = fold([change('reset'), update(1), update(2)]);
    const restored = applyServerMessage(running, change('restore', { step: 25, samples: 25 }));
    expect(restored.history.step).toEqual([]);
    expect(restored.lossEma).toBeNull();
    expect(restored.recent).toEqual({ x: [], y: [] });
    expect(restored.step).toBe(25);
    const paced = applyServerMessage(running, change('set-rate', { step: 2, samples: 2 }));
    expect(paced.history.step).toEqual([1, 2]);
    expect(paced.recent.x).toEqual([1, 2]);
  });

  it('bounds the history (evenly downsampled) and the scatter window', () => {
    const frames = [change('reset'), ...Array.from({ length: 100 }, (_, i) => update(i + 1))];
    const view = fold(frames, { historyLimit: 10, recentLimit: 7 });
    expect(view.history.step.length).toBeLessThan(10);
    expect(view.history.step[0]).toBe(1);
    const gaps = view.history.step.slice(1).map((s, i) => s - view.history.step[i]!);
    expect(new Set(gaps).size).toBe(1);
    expect(view.recent.x).toEqual([94, 95, 96, 97, 98, 99, 100]);
  });

  it('ignores an update with a non-finite parameter, acknowledgements and errors', () => {
    const view = fold([change('reset'), update(1)]);
    expect(applyServerMessage(view, update(2, { params: [Number.POSITIVE_INFINITY, 0] }))).toBe(
      view,
    );
    expect(applyServerMessage(view, { type: 'command-ack', id: null, command: 'pause' })).toBe(
      view,
    );
  });

  it('shows no training rate while paused', () => {
    const view = fold([
      change('reset'),
      update(1),
      change('pause', { config: { ...config, paused: true } }),
    ]);
    expect(view.samplesPerSecond).toBe(0);
  });

  it('a snapshot of a view is valid and gives back the same view', () => {
    const frames = [change('reset'), ...Array.from({ length: 30 }, (_, i) => update(i + 1))];
    const view = fold(frames, { historyLimit: 8 });
    const snapshot = snapshotOfView(view, { seq: view.seq, time: view.time, clients: 0 });
    expect(parseServerMessage(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
    const restored = applyServerMessage(emptySessionView(), snapshot, { historyLimit: 8 });
    expect(restored).toEqual(view);
    // Both go on identically: a page that joined late draws what one that saw everything draws.
    const next = update(31);
    expect(applyServerMessage(restored, next, { historyLimit: 8 })).toEqual(
      applyServerMessage(view, next, { historyLimit: 8 }),
    );
  });

  it('has no snapshot before the first configuration', () => {
    expect(() => snapshotOfView(emptySessionView(), { seq: 0, time: 0, clients: 0 })).toThrow(
      /no configuration/,
    );
  });
});

describe("a big model's view (its first params and paramCount)", () => {
  const first = (step: number) => Array.from({ length: 20 }, (_, j) => step + j);
  it('keeps the count, draws the first trajectories, and snapshots it', () => {
    const view = fold([
      change('reset'),
      update(1, { params: first(1), paramCount: 91_201 }),
      update(2, { params: first(2), paramCount: 91_201 }),
    ]);
    expect({
      paramCount: view.paramCount,
      params: view.params.length,
      columns: view.history.params.length,
      points: view.history.step,
    }).toEqual({ paramCount: 91_201, params: 20, columns: 16, points: [1, 2] });
    const snapshot = snapshotOfView(view, { seq: view.seq, time: 9, clients: 1 });
    expect(snapshot.paramCount).toBe(91_201);
    expect(parseServerMessage(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
    const again = applyServerMessage(emptySessionView(), snapshot);
    expect(again).toEqual({ ...view, time: 9, clients: 1 });
  });
  it('starts the history over when the count changes though as many params are sent', () => {
    const view = fold([
      update(1, { params: first(1), paramCount: 91_201 }),
      update(2, { params: first(2), paramCount: 91_201 }),
      update(3, { params: first(3), paramCount: 50_000 }),
    ]);
    expect([view.paramCount, view.history.step]).toEqual([50_000, [3]]);
    const changed = applyServerMessage(view, change('pause', { params: first(3), step: 3 }));
    expect([changed.paramCount, changed.history.step]).toEqual([20, []]);
  });
  it("leaves a small model's snapshot without a count, as it always was", () => {
    const view = fold([change('reset'), update(1), update(2)]);
    const snapshot = snapshotOfView(view, { seq: view.seq, time: 9, clients: 1 });
    expect([view.paramCount, 'paramCount' in snapshot]).toEqual([2, false]);
  });
});

describe('the race in the view', () => {
  const race = {
    ...config,
    contestants: [
      {
        id: 'c1',
        name: 'sgd',
        optimizer: 'sgd' as const,
        options: { lr: 0.01 },
        colour: 1,
        diverged: null,
      },
      {
        id: 'c2',
        name: 'rmsprop',
        optimizer: 'rmsprop' as const,
        options: { lr: 0.01 },
        colour: 2,
        diverged: null,
      },
    ],
  };
  const status = (id: string, lossEma: number | null, steps = 1) => ({
    id,
    params: [lossEma ?? 0, 1],
    loss: lossEma,
    lossEma,
    steps,
  });

  it("keeps each contestant's columns beside the history, null before it entered", () => {
    const view = fold([
      change('reset', { config: { ...race, contestants: [race.contestants[0]!] } }),
      update(1, { contestants: [status('c1', 5)] }),
      change('add-contestant', { config: race, step: 1, samples: 1 }),
      update(2, { contestants: [status('c1', 4), status('c2', 3)] }),
    ]);
    expect(view.history.contestants).toEqual([
      {
        id: 'c1',
        lossEma: [5, 4],
        params: [
          [5, 4],
          [1, 1],
        ],
      },
      {
        id: 'c2',
        lossEma: [null, 3],
        params: [
          [null, 3],
          [null, 1],
        ],
      },
    ]);
    const removed = applyServerMessage(
      applyServerMessage(
        view,
        change('remove-contestant', {
          config: { ...race, contestants: [race.contestants[1]!] },
          step: 2,
          samples: 2,
          contestants: [status('c2', 3)],
        }),
      ),
      update(3, { contestants: [status('c2', 2)] }),
    );
    expect(removed.history.contestants.map((columns) => columns.id)).toEqual(['c2']);
    const snapshot = snapshotOfView(removed, { seq: 1, time: 1, clients: 1 });
    expect(parseServerMessage(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
  });

  it('ranks by rolling loss, diverged and unscored last, ties in entry order', () => {
    const diverged = {
      code: 'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
      message: 'm',
      step: 3,
      samples: 3,
    };
    const withDiverged = {
      ...race,
      contestants: [race.contestants[0]!, { ...race.contestants[1]!, diverged }],
    };
    const view = fold([
      change('reset', { config: withDiverged }),
      update(1, { lossEma: 2, contestants: [status('c1', 0.5), status('c2', 0.1)] }),
    ]);
    expect(leaderboardOf(view).map((row) => [row.rank, row.id, row.lossEma])).toEqual([
      [1, 'c1', 0.5],
      [2, 'primary', 2],
      [3, 'c2', null],
    ]);
    expect(leaderboardOf(emptySessionView())).toEqual([]);
  });
});
