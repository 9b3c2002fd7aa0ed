import type { Config } from '@adamflow/protocol';
import { parseServerMessage } from '@adamflow/protocol';
import { describe, expect, it } from 'vitest';
import { SessionState } from './session-state.js';
import type { TrainerReport, TrainerState } from './trainer-messages.js';

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

const stateOf = (
  reason: TrainerState['reason'],
  extra: Partial<TrainerState> = {},
): TrainerState => ({
  type: 'state',
  reason,
  diverged: null,
  config,
  truth: [4, 3],
  params: [0, 0],
  step: 0,
  samples: 0,
  ...extra,
});

const reportAt = (step: number, params = [step / 10, step / 20]): TrainerReport => ({
  type: 'report',
  step,
  samples: step,
  params,
  loss: 1 / step,
  lossEma: 1 / step,
  samplesPerSecond: 1000,
  truth: [4, 3],
  recentX: [0.5],
  recentY: [5.5],
});

const stamp = <T extends object>(message: T) => ({ ...message, seq: 1, time: 1 });

describe('SessionState', () => {
  it('folds reports into one update per tick, and none while paused or when nothing is new', () => {
    const state = new SessionState();
    state.applyState(stateOf('start'));
    state.applyReport(reportAt(10));
    state.applyReport(reportAt(20));
    const update = state.takeUpdate();
    expect(update).toMatchObject({ step: 20, recent: { x: [0.5, 0.5], y: [5.5, 5.5] } });
    expect(parseServerMessage(stamp(update!))).toBeDefined();
    expect(state.takeUpdate()).toBeUndefined();
    state.applyReport({ ...reportAt(20), recentX: [], recentY: [] });
    expect(state.takeUpdate()).toBeUndefined();
    state.applyState(
      stateOf('pause', { config: { ...config, paused: true }, step: 20, samples: 20 }),
    );
    state.applyReport(reportAt(30));
    expect(state.takeUpdate()).toBeUndefined();
  });

  it('never lets a non-finite parameter into a frame', () => {
    const state = new SessionState();
    state.applyState(stateOf('start'));
    state.applyReport(reportAt(10));
    state.applyReport(reportAt(11, [Number.POSITIVE_INFINITY, 1]));
    expect(state.takeUpdate()?.params).toEqual([1, 0.5]);
    const snapshot = state.snapshot(3, 4, 0);
    expect(parseServerMessage(snapshot)).toBeDefined();
  });

  it('merges the changes of one tick, keeping a history-clearing reason', () => {
    const state = new SessionState();
    state.applyState(stateOf('start'));
    expect(state.takeStateChanges()).toEqual([]);
    state.applyState(stateOf('reset'));
    state.applyState(stateOf('set-lr', { config: { ...config, lr: 0.5 } }));
    const changes = state.takeStateChanges();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ reason: 'reset', config: { lr: 0.5 } });
    expect(state.takeStateChanges()).toEqual([]);
  });

  it('keeps a divergence apart from the changes merged before and after it', () => {
    const state = new SessionState();
    state.applyState(stateOf('start'));
    const diverged = {
      code: 'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
      message: 'm',
      step: 9,
      samples: 9,
    };
    state.applyState(stateOf('set-source'));
    state.applyState(stateOf('diverged', { diverged, config: { ...config, paused: true } }));
    state.applyState(stateOf('reset'));
    const reasons = state.takeStateChanges().map((change) => change.reason);
    expect(reasons).toEqual(['set-source', 'diverged', 'reset']);
    expect(state.snapshot(0, 0, 0).diverged).toBeNull();
  });

  it('clears the history on reset and whenever the step goes down', () => {
    const state = new SessionState();
    state.applyState(stateOf('start'));
    for (let step = 1; step <= 5; step++) state.applyReport(reportAt(step));
    expect(state.snapshot(0, 0, 0).history.step).toHaveLength(5);
    state.applyState(stateOf('set-lr', { step: 0, samples: 5 }));
    expect(state.snapshot(0, 0, 0).history.step).toEqual([]);
  });
});

describe('SessionState after a restore', () => {
  it('drops the history and the recent samples, even when the step goes forward', () => {
    const state = new SessionState();
    state.applyState(stateOf('start'));
    for (const step of [10, 20, 30]) state.applyReport(reportAt(step));
    // A reset after the checkpoint: the step went down to 5, the checkpoint was at 25.
    state.applyState(stateOf('reset', { step: 0 }));
    state.applyReport(reportAt(5));
    state.takeStateChanges();
    state.applyState(stateOf('restore', { step: 25, samples: 25 }));
    const snapshot = state.snapshot(1, 1, 0);
    expect(snapshot.history.step).toEqual([]);
    expect(snapshot.recent).toEqual({ x: [], y: [] });
    expect(state.takeStateChanges().map((change) => change.reason)).toEqual(['restore']);
  });

  it('a restore merged with other changes in one tick keeps its reason', () => {
    const state = new SessionState();
    state.applyState(stateOf('start'));
    state.applyState(stateOf('set-source'));
    state.applyState(stateOf('restore'));
    state.applyState(stateOf('set-rate'));
    expect(state.takeStateChanges().map((change) => change.reason)).toEqual(['restore']);
  });
});
