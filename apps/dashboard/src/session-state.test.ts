import type { Config, ParamsUpdate, ServerMessage, StateChanged } from '@adamflow/protocol';
import { applyServerMessage, emptySessionView, parseServerMessage } from '@adamflow/protocol';
import { describe, expect, it } from 'vitest';
import { SessionState } from './session-state.js';
import type { TrainerFrame, Unstamped } from './trainer-messages.js';

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

const changeOf = (
  reason: StateChanged['reason'],
  extra: Partial<Unstamped<StateChanged>> = {},
): Unstamped<StateChanged> => ({
  type: 'state-changed',
  reason,
  diverged: null,
  config,
  truth: [4, 3],
  params: [0, 0],
  step: 0,
  samples: 0,
  ...extra,
});

const updateAt = (step: number, params = [step / 10, step / 20]): Unstamped<ParamsUpdate> => ({
  type: 'params-update',
  step,
  samples: step,
  params,
  loss: 1 / step,
  lossEma: 1 / step,
  samplesPerSecond: 1000,
  truth: [4, 3],
  recent: { x: [step / 100], y: [step] },
});

/** Broadcasts a tick's frames as the server does: stamped, committed; returns them. */
function tick(state: SessionState, clock: { seq: number }): ServerMessage[] {
  return state.take().map((frame) => {
    const stamped = { ...frame, seq: ++clock.seq, time: clock.seq } as ServerMessage;
    state.commit(stamped);
    return stamped;
  });
}

const started = () => {
  const state = new SessionState();
  state.start(changeOf('reset'));
  return state;
};

describe('SessionState', () => {
  it('merges the updates of one tick (latest wins, samples kept) and sends none when nothing is new', () => {
    const state = started();
    const clock = { seq: 0 };
    state.offer(updateAt(10));
    state.offer(updateAt(20));
    const frames = tick(state, clock);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ step: 20, recent: { x: [0.1, 0.2], y: [10, 20] } });
    expect(parseServerMessage(frames[0])).toBeDefined();
    expect(tick(state, clock)).toEqual([]);
    state.offer({ ...updateAt(20), recent: { x: [], y: [] } });
    expect(tick(state, clock)).toEqual([]);
  });

  it('sends no update while paused or diverged', () => {
    const state = started();
    state.offer(changeOf('pause', { config: { ...config, paused: true }, step: 20 }));
    state.offer(updateAt(30));
    expect(state.take().map((frame) => frame.type)).toEqual(['state-changed']);
  });

  it('never lets a non-finite parameter into a frame', () => {
    const state = started();
    state.offer(updateAt(10));
    state.offer(updateAt(11, [Number.POSITIVE_INFINITY, 1]));
    const frames = tick(state, { seq: 0 });
    expect(frames.map((frame) => (frame as ParamsUpdate).params)).toEqual([[1, 0.5]]);
    expect(parseServerMessage(state.snapshot(3, 4, 0))).toBeDefined();
  });

  it('merges the changes of one tick, keeping a history-clearing reason', () => {
    const state = started();
    expect(state.take()).toEqual([]);
    state.offer(changeOf('reset'));
    state.offer(changeOf('set-lr', { config: { ...config, lr: 0.5 } }));
    const changes = state.take();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ reason: 'reset', config: { lr: 0.5 } });
    expect(state.take()).toEqual([]);
  });

  it('keeps a divergence apart from the changes merged before and after it', () => {
    const state = started();
    const diverged = {
      code: 'ADAMFLOW_ERR_NON_FINITE_GRADIENT',
      message: 'm',
      step: 9,
      samples: 9,
    };
    state.offer(changeOf('set-source'));
    state.offer(changeOf('diverged', { diverged, config: { ...config, paused: true } }));
    state.offer(changeOf('reset'));
    const reasons = tick(state, { seq: 0 }).map((frame) => (frame as StateChanged).reason);
    expect(reasons).toEqual(['set-source', 'diverged', 'reset']);
    expect(state.snapshot(0, 0, 0).diverged).toBeNull();
  });

  it('keeps frames in the order they were made, and holds a bounded number between ticks', () => {
    const state = started();
    const offered: TrainerFrame[] = [];
    for (let i = 1; i <= 40; i++) {
      offered.push(updateAt(i));
      offered.push(changeOf(i % 2 ? 'diverged' : 'set-lr', { step: i, samples: i }));
    }
    for (const frame of offered) state.offer(frame);
    const frames = state.take();
    expect(frames.length).toBeLessThanOrEqual(8);
    const steps = frames.map((frame) => frame.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(frames.at(-1)).toMatchObject({ step: 40 });
  });

  it('its snapshot is the view of the frames it broadcast, as a client that saw them all has it', () => {
    const state = started();
    const clock = { seq: 0 };
    let client = applyServerMessage(emptySessionView(), state.snapshot(0, 0, 0));
    for (let step = 1; step <= 50; step++) {
      state.offer(updateAt(step));
      if (step === 25) state.offer(changeOf('set-lr', { step, samples: step }));
      for (const frame of tick(state, clock)) {
        client = applyServerMessage(client, JSON.parse(JSON.stringify(frame)));
      }
    }
    const late = applyServerMessage(emptySessionView(), state.snapshot(clock.seq, clock.seq, 0));
    expect(late).toEqual({ ...client, clients: 0 });
    expect(late.history.step).toHaveLength(50);
  });
});

describe('SessionState after a restore', () => {
  it('drops the history and the recent samples, even when the step goes forward', () => {
    const state = started();
    const clock = { seq: 0 };
    for (const step of [10, 20, 30]) state.offer(updateAt(step));
    tick(state, clock);
    // A reset after the checkpoint: the step went down to 5, the checkpoint was at 25.
    state.offer(changeOf('reset', { step: 0 }));
    tick(state, clock);
    state.offer(updateAt(5));
    tick(state, clock);
    expect(state.snapshot(1, 1, 0).history.step).toEqual([5]);
    state.offer(changeOf('restore', { step: 25, samples: 25 }));
    const frames = tick(state, clock);
    const snapshot = state.snapshot(1, 1, 0);
    expect(snapshot.history.step).toEqual([]);
    expect(snapshot.recent).toEqual({ x: [], y: [] });
    expect(frames.map((frame) => (frame as StateChanged).reason)).toEqual(['restore']);
  });

  it('a restore merged with other changes in one tick keeps its reason', () => {
    const state = started();
    state.offer(changeOf('set-source'));
    state.offer(changeOf('restore'));
    state.offer(changeOf('set-rate'));
    expect(state.take().map((frame) => (frame as StateChanged).reason)).toEqual(['restore']);
  });
});
