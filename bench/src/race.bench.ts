// The optimizer race's cost per sample: one contestant (Adam) against five (Adam,
// AdamW, AMSGrad, RMSProp, SGD with momentum) on the seed source (y = 4 + 3x + noise),
// each sample scored and learned by every contestant. Five contestants do five times
// the work, so the target is the ratio: at most 5.5x one contestant. A bare Learner
// (Adam) shows what the race adds around it. Writes bench/results/race.json.

import {
  type ContestantSpec,
  createGenerator,
  Learner,
  linearRegression,
  linearSpec,
  Race,
  type Sample,
} from '@adamflow/stream';
import { environment, measure, median, printTable, writeResult } from './harness.js';

const POOL = 65_536;
const UNITS = 200_000;
const ROUNDS = 11;
const TARGET = 5.5;

const source = createGenerator(linearSpec({ seed: 42 }));
const samples: Sample[] = Array.from({ length: POOL }, () => {
  const sample = source.next();
  return { x: Array.from(sample.x), y: sample.y };
});

const FIVE: ContestantSpec[] = [
  { optimizer: 'adam' },
  { optimizer: 'adamw' },
  { optimizer: 'amsgrad' },
  { optimizer: 'rmsprop' },
  { optimizer: 'sgd', options: { lr: 0.001, momentum: 0.9 } },
];

function raceOf(contestants: ContestantSpec[]) {
  const race = new Race({ model: linearRegression(), contestants });
  let i = 0;
  return (units: number) => {
    for (let k = 0; k < units; k++) {
      race.learn(samples[i]!);
      i = i + 1 === POOL ? 0 : i + 1;
    }
    return race.samples;
  };
}

function learnerAlone() {
  const learner = new Learner({ model: linearRegression(), optimizer: 'adam' });
  let i = 0;
  return (units: number) => {
    for (let k = 0; k < units; k++) {
      learner.learn(samples[i]!);
      i = i + 1 === POOL ? 0 : i + 1;
    }
    return learner.lastLoss;
  };
}

const measured = await measure(
  [
    { name: 'learner (adam, no race)', run: learnerAlone() },
    { name: 'race of 1 (adam)', run: raceOf([{ optimizer: 'adam' }]) },
    { name: 'race of 5', run: raceOf(FIVE) },
  ],
  UNITS,
  ROUNDS,
  1,
);
const [alone, one, five] = measured as [
  (typeof measured)[0],
  (typeof measured)[0],
  (typeof measured)[0],
];
const ratio = five.nsPerUnit / one.nsPerUnit;
// The two races run back to back in each round; on a shared machine the ratio within a
// round is steadier than the ratio of the medians, so both are reported.
const pairedRatio = median(five.rounds.map((ns, r) => ns / one.rounds[r]!));
printTable(
  'ns per sample (median of round-robin rounds)',
  measured.map((m) => ({
    contender: m.name,
    'ns/sample': m.nsPerUnit,
    'samples/s': m.unitsPerSecond,
  })),
);
console.log(`\nrace of 5 / race of 1: ${ratio.toFixed(2)}x (target <= ${TARGET}x)`);
console.log(`median of the per-round ratios: ${pairedRatio.toFixed(2)}x`);
console.log(`race of 1 / bare learner: ${(one.nsPerUnit / alone.nsPerUnit).toFixed(2)}x`);
const path = writeResult('race', {
  benchmark: 'race',
  source: 'linear seed 42 (y = 4 + 3x + N(0, 1)), pool of 65 536 samples cycled',
  contestants: {
    one: ['adam'],
    five: FIVE.map((c) =>
      c.options ? `${c.optimizer} ${JSON.stringify(c.options)}` : c.optimizer,
    ),
  },
  unitsPerRound: UNITS,
  rounds: ROUNDS,
  environment: environment(),
  results: measured,
  ratioFiveToOne: ratio,
  medianPerRoundRatio: pairedRatio,
  overheadOneToLearner: one.nsPerUnit / alone.nsPerUnit,
  target: { ratioFiveToOne: TARGET },
  met: ratio <= TARGET,
});
console.log(`\nwrote ${path}`);
