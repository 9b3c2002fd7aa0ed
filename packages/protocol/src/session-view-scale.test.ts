import { describe, expect, it } from 'vitest';
import type { Config, ContestantStatus, ParamsUpdate, StateChanged } from './messages.js';
import { parseServerMessage } from './messages.js';
import {
  applyServerMessage,
  emptySessionView,
  type SessionView,
  type SessionViewLimits,
  snapshotOfView,
} from './session-view.js';

// Sessions with many parameters: a frame must cost O(parameters + kept columns × points),
// never O(parameters × points), and every view handed out must stay as it was.

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
const start = (parameters: number, reason: StateChanged['reason'] = 'reset'): StateChanged => ({
  type: 'state-changed',
  seq: ++seq,
  time: seq,
  reason,
  config,
  truth: null,
  params: new Array<number>(parameters).fill(0),
  step: 0,
  samples: 0,
  diverged: null,
});

const parametersAt = (step: number, parameters: number) =>
  Array.from({ length: parameters }, (_, j) => step + j / 1000);

const update = (
  step: number,
  parameters: number,
  contestants?: ContestantStatus[],
): ParamsUpdate => ({
  type: 'params-update',
  seq: ++seq,
  time: seq,
  step,
  samples: step,
  params: parametersAt(step, parameters),
  loss: 1 / step,
  lossEma: 2 / step,
  samplesPerSecond: 1000,
  truth: null,
  recent: { x: [step], y: [-step] },
  ...(contestants ? { contestants } : {}),
});

const status = (id: string, step: number, parameters: number): ContestantStatus => ({
  id,
  steps: step,
  params: parametersAt(-step, parameters),
  loss: 1,
  lossEma: 1,
});

/** The history arrays of `view`, each as the array object it is. */
function historyArrays(view: SessionView): unknown[][] {
  const { history } = view;
  return [
    history.step,
    history.loss,
    history.lossEma,
    ...history.params,
    ...history.contestants.flatMap((columns) => [columns.lossEma, ...columns.params]),
  ];
}

/** Elements in arrays of `after`'s history that `before` does not share: what a frame copied. */
function copiedElements(before: SessionView, after: SessionView): number {
  const shared = new Set(historyArrays(before));
  return historyArrays(after)
    .filter((array) => !shared.has(array))
    .reduce((sum, array) => sum + array.length, 0);
}

describe('applyServerMessage with many parameters', () => {
  it('copies O(kept columns × points) per frame, not O(parameters × points)', () => {
    const parameters = 3000;
    const limits: SessionViewLimits = { historyLimit: 64 };
    const racing = ['c1', 'c2'];
    let view = applyServerMessage(emptySessionView(), start(parameters), limits);
    const copied: number[] = [];
    for (let step = 1; step <= 300; step++) {
      const frame = update(
        step,
        parameters,
        racing.map((id) => status(id, step, parameters)),
      );
      const next = applyServerMessage(view, frame, limits);
      copied.push(copiedElements(view, next));
      view = next;
    }
    // The default keeps 16 trajectories per contestant: 3 + 16 primary columns and
    // 1 + 16 per contestant, each at most 64 points long.
    const columns = 3 + 16 + racing.length * 17;
    expect(view.history.params).toHaveLength(16);
    expect(view.history.contestants.map((kept) => kept.params.length)).toEqual([16, 16]);
    expect(Math.max(...copied)).toBeLessThanOrEqual(columns * 64);
    // The latest parameters are always complete.
    expect(view.params).toHaveLength(parameters);
    expect(view.contestants[0]?.params).toHaveLength(parameters);
  });

  it('keeps exactly the first trajectoryLimit trajectories of the full history', () => {
    const parameters = 40;
    const frames = [start(parameters), ...Array.from({ length: 50 }, (_, i) => update(i + 1, 40))];
    const fold = (limits: SessionViewLimits) =>
      frames.reduce((view, frame) => applyServerMessage(view, frame, limits), emptySessionView());
    const full = fold({ historyLimit: 16, trajectoryLimit: parameters });
    const capped = fold({ historyLimit: 16, trajectoryLimit: 5 });
    expect(full.history.params).toHaveLength(parameters);
    expect(capped.history.params).toEqual(full.history.params.slice(0, 5));
    expect(capped.history.step).toEqual(full.history.step);
    expect(capped.params).toEqual(full.params);
    const none = fold({ historyLimit: 16, trajectoryLimit: 0 });
    expect(none.history.params).toEqual([]);
    expect(none.history.step).toEqual(full.history.step);
  });

  it('never changes a view it handed out, through halvings, contestants and snapshots', () => {
    const parameters = 30;
    const limits: SessionViewLimits = { historyLimit: 8, trajectoryLimit: 4 };
    let view = applyServerMessage(emptySessionView(), start(parameters), limits);
    const held: { view: SessionView; copy: SessionView }[] = [];
    for (let step = 1; step <= 40; step++) {
      const contestants = step > 10 ? [status('c1', step, parameters)] : undefined;
      view = applyServerMessage(view, update(step, parameters, contestants), limits);
      if (step % 3 === 0) held.push({ view, copy: structuredClone(view) });
    }
    // Branch off every held view too: a holder may apply another frame to an old view.
    for (const { view: old } of held) {
      applyServerMessage(old, update(999, parameters, [status('c1', 999, parameters)]), limits);
      applyServerMessage(old, start(parameters, 'set-lr'), limits);
      const snapshot = snapshotOfView(old, { seq: 1, time: 1, clients: 1 });
      applyServerMessage(old, snapshot, limits);
    }
    expect(held.map(({ view: old }) => old)).toEqual(held.map(({ copy }) => copy));
  });

  it('sends the kept trajectories in the snapshot, and a page resumes from it bitwise', () => {
    const parameters = 50;
    const limits: SessionViewLimits = { historyLimit: 8, trajectoryLimit: 3 };
    let view = applyServerMessage(emptySessionView(), start(parameters), limits);
    for (let step = 1; step <= 20; step++) {
      view = applyServerMessage(view, update(step, parameters), limits);
    }
    const snapshot = snapshotOfView(view, { seq: view.seq, time: view.time, clients: 0 });
    const wire = parseServerMessage(JSON.parse(JSON.stringify(snapshot)));
    expect(wire).toEqual(snapshot);
    const page = applyServerMessage(emptySessionView(), wire!, limits);
    expect(page.history.params).toHaveLength(3);
    const next = update(21, parameters);
    expect(applyServerMessage(page, next, limits)).toEqual(applyServerMessage(view, next, limits));
    // A page that keeps fewer takes the first of what it was sent.
    const fewer = applyServerMessage(emptySessionView(), wire!, { trajectoryLimit: 2 });
    expect(fewer.history.params).toEqual(view.history.params.slice(0, 2));
  });

  it('starts the history over when the parameter count changes, whatever the reason', () => {
    const limits: SessionViewLimits = { trajectoryLimit: 4 };
    let view = applyServerMessage(emptySessionView(), start(100), limits);
    view = applyServerMessage(view, update(1, 100), limits);
    view = applyServerMessage(view, start(200, 'set-lr'), limits);
    expect(view.history.step).toEqual([]);
    view = applyServerMessage(view, update(2, 200), limits);
    expect(view.history.params.map((column) => column.length)).toEqual([1, 1, 1, 1]);
    const other = applyServerMessage(view, update(3, 300), limits);
    expect(other.history.step).toEqual([3]);
  });

  it('refuses a trajectoryLimit that is not a non-negative integer', () => {
    const frame = start(2);
    expect(() => applyServerMessage(emptySessionView(), frame, { trajectoryLimit: -1 })).toThrow(
      /trajectoryLimit must be a non-negative integer, got -1/,
    );
    expect(() => applyServerMessage(emptySessionView(), frame, { trajectoryLimit: 1.5 })).toThrow(
      RangeError,
    );
  });
});
