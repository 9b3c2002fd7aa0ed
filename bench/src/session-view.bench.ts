// What one frame costs the session view (`applyServerMessage`), which the server, a
// gateway and every page apply to every frame: frames per second at 2, 1000 and 100 000
// parameters, the view keeping the first 16 trajectories (the default) against keeping
// every parameter's (`trajectoryLimit` = parameters: the same copies per kept point as
// before the limit existed). Each view starts from a history of HISTORY points (kept
// points copy every kept column, so the cost grows with that length), then steady
// state: the stride has doubled and every other frame is a kept point. Keeping every
// trajectory of 100 000 parameters over a full history would hold 10^8 numbers and copy
// them per kept point: that row starts from 100 points instead (still ~10^7 copies).
// The two 2-parameter rows run the same code (2 < 16, both keep 2 columns), yet the
// first has measured 0.3x-0.7x the second on a shared 2-core machine, depending on the
// order they run in: not the limit's cost, which they share.
// Writes bench/results/session-view.json.

import { loadavg } from 'node:os';
import {
  applyServerMessage,
  emptySessionView,
  type ParamsUpdate,
  type SessionView,
  type SessionViewLimits,
  type StateChanged,
} from '@adamflow/protocol';
import { environment, measure, printTable, writeResult } from './harness.js';

const HISTORY = 1000;
const ROUNDS = 7;
const POOL = 8;

function start(parameters: number): StateChanged {
  return {
    type: 'state-changed',
    seq: 1,
    time: 1,
    reason: 'reset',
    config: {
      source: 'seed',
      model: 'linear-regression',
      features: Math.max(1, parameters - 1),
      optimizer: 'adam',
      lr: 0.01,
      batchSize: 1,
      rate: 1000,
      paused: false,
    },
    truth: null,
    params: new Array<number>(parameters).fill(0),
    step: 0,
    samples: 0,
    diverged: null,
  };
}

function frames(parameters: number): ParamsUpdate[] {
  return Array.from({ length: POOL }, (_, k) => ({
    type: 'params-update',
    seq: k + 2,
    time: k + 2,
    step: k + 1,
    samples: k + 1,
    params: Array.from({ length: parameters }, (_, j) => Math.sin(k + j)),
    loss: 1 / (k + 1),
    lossEma: 1 / (k + 1),
    samplesPerSecond: 1000,
    truth: null,
    recent: { x: [k], y: [k] },
  }));
}

interface Case {
  parameters: number;
  kept: 'first 16' | 'all';
  points: number;
  units: number;
}

const CASES: Case[] = [
  { parameters: 2, kept: 'first 16', points: HISTORY, units: 4000 },
  { parameters: 2, kept: 'all', points: HISTORY, units: 4000 },
  { parameters: 1000, kept: 'first 16', points: HISTORY, units: 1000 },
  { parameters: 1000, kept: 'all', points: HISTORY, units: 40 },
  { parameters: 100_000, kept: 'first 16', points: HISTORY, units: 100 },
  { parameters: 100_000, kept: 'all', points: 100, units: 4 },
];

function contender(c: Case) {
  const limits: SessionViewLimits = {
    historyLimit: HISTORY,
    ...(c.kept === 'all' ? { trajectoryLimit: c.parameters } : {}),
  };
  const pool = frames(c.parameters);
  let view: SessionView = applyServerMessage(emptySessionView(), start(c.parameters), limits);
  for (let i = 0; i < c.points; i++) view = applyServerMessage(view, pool[i % POOL]!, limits);
  let i = 0;
  return {
    name: `${c.parameters} params, ${c.kept}`,
    units: c.units,
    run: (units: number) => {
      for (let n = 0; n < units; n++) view = applyServerMessage(view, pool[i++ % POOL]!, limits);
      return view.history.step.length;
    },
  };
}

const measured = await measure(CASES.map(contender), 1, ROUNDS, 1);
const rows = CASES.map((c, k) => {
  const m = measured[k]!;
  const first = measured[k - (c.kept === 'all' ? 1 : 0)]!;
  return {
    parameters: String(c.parameters),
    trajectories: c.kept,
    'history from': c.points,
    'frames/s': m.unitsPerSecond,
    'ms/frame': m.nsPerUnit / 1e6,
    'first 16 is x faster': c.kept === 'all' ? first.unitsPerSecond / m.unitsPerSecond : 1,
  };
});
printTable('applyServerMessage, params-update frames (median of round-robin rounds)', rows);
const path = writeResult('session-view', {
  benchmark: 'session-view',
  what: 'applyServerMessage on params-update frames with loss (a history point offered each)',
  historyLimit: HISTORY,
  rounds: ROUNDS,
  rows,
  // The machine's 1, 5 and 15 minute load averages when the run ended.
  load: loadavg(),
  environment: environment(),
});
console.log(`\nwritten to ${path}`);
