// Exactness against PyTorch: fixtures/torch-optimizers.json holds torch.optim's
// float64 trajectories (made by fixtures/make-torch-fixtures.py). Tolerance: every
// parameter within 1e-12 relative, measured against the coordinate's own magnitude
// over the run (so a parameter crossing zero is not judged by a vanishing denominator).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  type CommonOptions,
  cosineSchedule,
  exponentialSchedule,
  NAdam,
  type Optimizer,
  type ParamArray,
  RAdam,
  RMSProp,
  type Schedule,
  SGD,
  stepDecaySchedule,
  warmupSchedule,
} from './index.js';

interface ScheduleSpec {
  type: 'step' | 'exponential' | 'cosine' | 'warmup-cosine';
  lr: number;
  stepSize?: number;
  gamma?: number;
  steps?: number;
  minLr?: number;
  warmup?: number;
  startFactor?: number;
}

type Kind = keyof typeof constructors;

interface Case {
  name: string;
  kind: Kind;
  problem: 'mixed' | 'rosenbrock';
  options: Record<string, unknown> & { lr?: number | ScheduleSpec };
  clip?: { norm?: number; value?: number };
  params0: number[];
  grads?: number[][];
  trajectory: number[][];
  /** Parameter groups: each one's range and the options it sets itself. */
  groups?: {
    range: [number, number];
    options: Record<string, unknown> & { lr?: number | ScheduleSpec };
  }[];
  /** Options set on a group before a step (0-based), as assigning to param_groups. */
  changes?: { step: number; group: number; options: Record<string, unknown> }[];
  /** Set when the trajectory comes from the script's own reference, not torch 1.13. */
  reference?: string;
}

interface Fixture {
  torch: string;
  steps: number;
  mixedGradients: number[][];
  cases: Case[];
  schedules: { spec: ScheduleSpec; values: number[] }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/torch-optimizers.json', import.meta.url), 'utf8'),
) as Fixture;

function toSchedule(spec: ScheduleSpec): Schedule {
  switch (spec.type) {
    case 'step':
      return stepDecaySchedule({ lr: spec.lr, stepSize: spec.stepSize!, gamma: spec.gamma! });
    case 'exponential':
      return exponentialSchedule({ lr: spec.lr, gamma: spec.gamma! });
    case 'cosine':
      return cosineSchedule({ lr: spec.lr, steps: spec.steps!, minLr: spec.minLr! });
    case 'warmup-cosine':
      return warmupSchedule({
        steps: spec.warmup!,
        startFactor: spec.startFactor!,
        after: cosineSchedule({ lr: spec.lr, steps: spec.steps!, minLr: spec.minLr! }),
      });
  }
}

/** Worst error of `actual` against `expected`, scaled per coordinate. */
function worstError(
  actual: number[][],
  expected: number[][],
): { scaled: number; relative: number } {
  const dims = expected[0]!.length;
  const magnitude = new Array<number>(dims).fill(0);
  for (const row of expected) {
    row.forEach((x, i) => {
      magnitude[i] = Math.max(magnitude[i]!, Math.abs(x));
    });
  }
  let scaled = 0;
  let relative = 0;
  expected.forEach((row, k) => {
    row.forEach((x, i) => {
      const diff = Math.abs(actual[k]![i]! - x);
      scaled = Math.max(scaled, diff / (magnitude[i]! || 1));
      relative = Math.max(relative, x === 0 ? diff : diff / Math.abs(x));
    });
  });
  return { scaled, relative };
}

type Backend = 'js' | 'wasm';
type Construct = (params: ParamArray, options: never, settings: { backend: Backend }) => Optimizer;

// Each fixture kind, its constructor and the backends it runs on.
const constructors = {
  adam: (p, o, s) => new Adam(p, o, s),
  adamw: (p, o, s) => new AdamW(p, o, s),
  sgd: (p, o, s) => new SGD(p, o, s),
  rmsprop: (p, o, s) => new RMSProp(p, o, s),
  adamax: (p, o, s) => new Adamax(p, o, s),
  nadam: (p, o, s) => new NAdam(p, o, s),
  radam: (p, o, s) => new RAdam(p, o, s),
  adagrad: (p, o, s) => new Adagrad(p, o, s),
  adadelta: (p, o, s) => new Adadelta(p, o, s),
} satisfies Record<string, Construct>;
const backendsOf: Record<Kind, readonly Backend[]> = {
  adam: ['js', 'wasm'],
  adamw: ['js', 'wasm'],
  sgd: ['js', 'wasm'],
  rmsprop: ['js', 'wasm'],
  adamax: ['js', 'wasm'],
  nadam: ['js', 'wasm'],
  radam: ['js', 'wasm'],
  adagrad: ['js'],
  adadelta: ['js'],
};

describe(`PyTorch ${fixture.torch} reference trajectories (float64, ${fixture.steps} steps)`, () => {
  it('covers every optimizer kind and option', () => {
    const kinds = new Set(fixture.cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(Object.keys(constructors).sort());
    expect(fixture.cases.length).toBeGreaterThanOrEqual(60);
    const grouped = fixture.cases.filter((c) => c.groups);
    expect(new Set(grouped.map((c) => c.kind))).toEqual(kinds);
    expect(grouped.some((c) => c.changes)).toBe(true);
  });

  for (const c of fixture.cases) {
    for (const backend of backendsOf[c.kind]) {
      it(`${c.name} (${backend})`, () => {
        const options: CommonOptions & Record<string, unknown> = { ...c.options } as never;
        if (typeof c.options.lr === 'object') options.lr = toSchedule(c.options.lr);
        if (c.clip?.norm !== undefined) options.clipNorm = c.clip.norm;
        if (c.clip?.value !== undefined) options.clipValue = c.clip.value;
        if (c.groups) {
          options.groups = c.groups.map(({ range, options: own }) => {
            const group: Record<string, unknown> = { range, ...own };
            if (typeof own.lr === 'object') group['lr'] = toSchedule(own.lr);
            return group as { range: [number, number] };
          });
        }
        const params = new Float64Array(c.params0);
        const opt = constructors[c.kind](params, options as never, { backend });
        expect(opt.backend).toBe(backend);
        const grads = c.problem === 'mixed' ? fixture.mixedGradients : c.grads!;
        const actual: number[][] = [];
        for (let k = 0; k < fixture.steps; k++) {
          for (const change of c.changes ?? []) {
            if (change.step === k) opt.setGroup(change.group, change.options);
          }
          opt.step(grads[k]!);
          actual.push(Array.from(params));
        }
        const { scaled, relative } = worstError(actual, c.trajectory);
        console.log(
          `[torch] ${c.name} (${backend}): scaled ${scaled.toExponential(2)}, elementwise relative ${relative.toExponential(2)}`,
        );
        expect(scaled).toBeLessThanOrEqual(1e-12);
      });
    }
  }

  for (const { spec, values } of fixture.schedules) {
    it(`schedule ${spec.type} matches torch.optim.lr_scheduler`, () => {
      const schedule = toSchedule(spec);
      let worst = 0;
      values.forEach((value, step) => {
        worst = Math.max(worst, Math.abs(schedule(step) - value) / spec.lr);
      });
      expect(worst).toBeLessThanOrEqual(1e-12);
    });
  }
});
