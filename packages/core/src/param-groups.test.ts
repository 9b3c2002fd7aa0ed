// Parameter groups: their validation, how options flow from the top level into them,
// snapshots, and the kernel's ranges (ragged ends included) against the JS loop.
// Exactness against PyTorch's param_groups is in torch-reference.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamflowError,
  AdamW,
  exponentialSchedule,
  type Optimizer,
  type ParamArray,
  RMSProp,
  SGD,
} from './index.js';

const bits = (a: ParamArray) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const p = (n = 10) => Float64Array.from({ length: n }, (_, i) => i / n - 0.5);

describe('the groups option', () => {
  const cases: [string, unknown, ErrorConstructor, RegExp][] = [
    ['not an array', { range: [0, 10] }, TypeError, /groups must be a non-empty array/],
    ['empty', [], TypeError, /groups must be a non-empty array/],
    ['a group not an object', [3], TypeError, /groups\[0\] must be an object/],
    ['range missing', [{ lr: 0.1 }], RangeError, /groups\[0\]\.range must be \[from, to\]/],
    ['range reversed', [{ range: [5, 2] }], RangeError, /got \[5, 2\]/],
    ['range empty', [{ range: [0, 0] }, { range: [0, 10] }], RangeError, /got \[0, 0\]/],
    ['range past the end', [{ range: [0, 11] }], RangeError, /to <= 10.*got \[0, 11\]/],
    [
      'range not integers',
      [{ range: [0, 4.5] }, { range: [4.5, 10] }],
      RangeError,
      /got \[0, 4.5\]/,
    ],
    [
      'ranges overlapping',
      [{ range: [0, 6] }, { range: [5, 10] }],
      RangeError,
      /groups\[1\]\.range \[5, 10\) overlaps groups\[0\]\.range \[0, 6\); the ranges must be disjoint/,
    ],
    [
      'a gap',
      [{ range: [0, 4] }, { range: [6, 10] }],
      RangeError,
      /no group covers \[4, 6\); the groups' ranges must cover all 10 parameters/,
    ],
    ['the end uncovered', [{ range: [0, 9] }], RangeError, /no group covers \[9, 10\)/],
    [
      'a whole-vector option in a group',
      [{ range: [0, 10], clipNorm: 1 }],
      TypeError,
      /groups\[0\]: unknown option 'clipNorm'/,
    ],
    [
      'an invalid value, named with its group',
      [{ range: [0, 4] }, { range: [4, 10], beta1: 1 }],
      RangeError,
      /^adam: groups\[1\]: beta1 must be in \[0, 1\), got 1$/,
    ],
  ];
  for (const [name, groups, type, message] of cases) {
    it(`refuses ${name}`, () => {
      const make = () => new Adam(p(), { groups } as never);
      expect(make).toThrow(type);
      expect(make).toThrow(message);
    });
  }

  it('takes the ranges in any order; the order given is the group index', () => {
    const opt = new SGD(p(), { lr: 0.1, groups: [{ range: [6, 10], lr: 0.2 }, { range: [0, 6] }] });
    expect(opt.groups.map((g) => [g.range, g.options.lr])).toEqual([
      [[6, 10], 0.2],
      [[0, 6], 0.1],
    ]);
  });

  it('checks a group against the optimizer own rules (SGD: nesterov needs momentum)', () => {
    expect(
      () =>
        new SGD(p(), {
          momentum: 0.9,
          groups: [{ range: [0, 5] }, { range: [5, 10], nesterov: true, momentum: 0 }],
        }),
    ).toThrow(/sgd: groups\[1\]: nesterov needs momentum > 0/);
  });
});

describe('options flow', () => {
  it('a group steps with its own options and the top-level ones it did not set', () => {
    const opt = new Adam(p(), {
      lr: 0.01,
      beta1: 0.8,
      groups: [{ range: [0, 5], lr: 0.1 }, { range: [5, 10] }],
    });
    expect(opt.groups[0]!.options).toMatchObject({ lr: 0.1, beta1: 0.8 });
    expect(opt.groups[1]!.options).toMatchObject({ lr: 0.01, beta1: 0.8 });
    opt.set({ lr: 0.02, beta1: 0.5 });
    expect(opt.groups[0]!.options).toMatchObject({ lr: 0.1, beta1: 0.5 });
    expect(opt.groups[1]!.options).toMatchObject({ lr: 0.02, beta1: 0.5 });
    expect(opt.options.lr).toBe(0.02);
  });

  it('setGroup changes one group only; lastLr reports each group', () => {
    const opt = new RMSProp(p(), { lr: 0.01, groups: [{ range: [0, 3] }, { range: [3, 10] }] });
    opt.setGroup(1, { lr: 0.5, centered: true });
    opt.step(new Float64Array(10).fill(1));
    expect(opt.groups.map((g) => g.lastLr)).toEqual([0.01, 0.5]);
    expect(opt.groups[0]!.options.centered).toBe(false);
    expect(opt.lastLr).toBe(0.01);
  });

  it('a group with its own schedule follows it', () => {
    const opt = new SGD(p(), {
      lr: 0.1,
      groups: [
        { range: [0, 5], lr: exponentialSchedule({ lr: 1, gamma: 0.5 }) },
        { range: [5, 10] },
      ],
    });
    const rates: number[][] = [];
    for (let k = 0; k < 3; k++) {
      opt.step(new Float64Array(10));
      rates.push(opt.groups.map((g) => g.lastLr));
    }
    expect(rates).toEqual([
      [1, 0.1],
      [0.5, 0.1],
      [0.25, 0.1],
    ]);
  });

  it('set and setGroup validate everything first and change nothing on error', () => {
    const opt = new SGD(p(), {
      momentum: 0.9,
      groups: [{ range: [0, 5], nesterov: true }, { range: [5, 10] }],
    });
    // Valid at the top level, invalid for group 0 (nesterov needs momentum > 0).
    expect(() => opt.set({ momentum: 0 })).toThrow(/sgd: groups\[0\]: nesterov needs momentum/);
    expect(opt.options.momentum).toBe(0.9);
    expect(opt.groups[1]!.options.momentum).toBe(0.9);
    expect(() => opt.setGroup(1, { lr: -1 })).toThrow(RangeError);
    expect(() => opt.setGroup(2, { lr: 1 })).toThrow(/index must be an integer from 0 to 1, got 2/);
    expect(() => opt.setGroup(0, { range: [0, 10] } as never)).toThrow(/range is fixed/);
    expect(() => opt.setGroup(0, { clipValue: 1 } as never)).toThrow(/unknown option 'clipValue'/);
    expect(() => opt.set({ groups: [] } as never)).toThrow(/unknown option 'groups'/);
    expect(opt.groups[1]!.options.lr).toBe(1e-3);
  });

  it('a bad scheduled rate in any group throws before anything changes', () => {
    const opt = new Adam(p(), {
      groups: [{ range: [0, 5] }, { range: [5, 10], lr: (step) => (step < 1 ? 0.1 : -1) }],
    });
    opt.step(new Float64Array(10).fill(1));
    const before = JSON.stringify(opt.state());
    expect(() => opt.step(new Float64Array(10).fill(1))).toThrow(
      /adam: groups\[1\]: the lr schedule returned -1 at step 1/,
    );
    expect(JSON.stringify(opt.state())).toBe(before);
  });
});

describe('snapshots', () => {
  const make = () =>
    new SGD(p(), {
      lr: 0.1,
      momentum: 0.9,
      groups: [
        { range: [0, 4], momentum: 0 },
        { range: [4, 10], lr: 0.05 },
      ],
    });

  it('hold each group own options, restore them and continue bitwise', () => {
    const a = make();
    const grad = Float64Array.from({ length: 10 }, (_, i) => Math.sin(i));
    a.step(grad);
    a.setGroup(0, { momentum: 0.5, weightDecay: 0.1 });
    a.step(grad);
    const snapshot = JSON.parse(JSON.stringify(a.state()));
    expect(snapshot.groups).toEqual([
      { range: [0, 4], hyper: { momentum: 0.5, weightDecay: 0.1 } },
      { range: [4, 10], hyper: { lr: 0.05 } },
    ]);
    const b = new SGD(p(), { groups: [{ range: [0, 4] }, { range: [4, 10] }] });
    b.loadState(snapshot);
    expect(b.groups.map((g) => g.options)).toEqual(a.groups.map((g) => g.options));
    for (let k = 0; k < 5; k++) {
      a.step(grad);
      b.step(grad);
    }
    expect(bits(b.params)).toEqual(bits(a.params));
  });

  it('refuse another grouping, and change nothing', () => {
    const a = make();
    const other = new SGD(p(), { groups: [{ range: [0, 5] }, { range: [5, 10] }] });
    const before = JSON.stringify(other.state());
    let error: unknown;
    try {
      other.loadState(a.state());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AdamflowError);
    expect((error as AdamflowError).code).toBe('ADAMFLOW_ERR_STATE_GROUPS');
    expect((error as Error).message).toMatch(/\[0,4\], \[4,10\].*\[0,5\], \[5,10\]/);
    expect(JSON.stringify(other.state())).toBe(before);
    expect(() => new SGD(p()).loadState(a.state())).toThrow(AdamflowError);
  });

  it('from before groups existed load into an optimizer without groups', () => {
    const a = new Adam(p(), { lr: 0.1 });
    a.step(new Float64Array(10).fill(1));
    const { groups: _, ...old } = a.state();
    const b = new Adam(p(), { lr: 0.1 });
    b.loadState(old);
    expect(b.state()).toEqual(a.state());
  });
});

// Random partitions of the vector, random per-group options: the kernel's ranges,
// ragged ends through the scratch pads, must agree bitwise with the JS loop (float64).
const makers: [
  string,
  (params: ParamArray, groups: object[], backend: 'js' | 'wasm') => Optimizer,
][] = [
  [
    'Adam',
    (params, groups, backend) =>
      new Adam(params, { lr: 0.01, clipValue: 3, groups } as never, { backend }),
  ],
  [
    'AdamW',
    (params, groups, backend) => new AdamW(params, { lr: 0.01, groups } as never, { backend }),
  ],
  [
    'SGD',
    (params, groups, backend) =>
      new SGD(params, { lr: 0.01, momentum: 0.9, groups } as never, { backend }),
  ],
  [
    'RMSProp',
    (params, groups, backend) => new RMSProp(params, { lr: 0.01, groups } as never, { backend }),
  ],
];
const groupOptions: Record<string, object[]> = {
  Adam: [
    {},
    { lr: 0.05, weightDecay: 0.1 },
    { amsgrad: true, maximize: true },
    { epsPlacement: 'epsilon-hat', beta1: 0.5 },
  ],
  AdamW: [{}, { weightDecay: 0.3, lr: 0.002 }, { amsgrad: true }, { beta2: 0.9 }],
  SGD: [{}, { momentum: 0 }, { nesterov: true, weightDecay: 0.1 }, { dampening: 0.5, lr: 0.1 }],
  RMSProp: [
    {},
    { centered: true, momentum: 0.5 },
    { epsPlacement: 'inside-sqrt', eps: 1e-3 },
    { alpha: 0.9, weightDecay: 0.01 },
  ],
};

describe.each(makers)('%s groups on the kernel', (name, make) => {
  it('float64: bitwise identical to the JS loop for any partition (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.array(fc.integer({ min: 1, max: 149 }), { minLength: 0, maxLength: 4 }),
        fc.array(fc.nat(3), { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        (n, cutsAt, choices, steps) => {
          const cuts = [...new Set(cutsAt)].filter((c) => c < n).sort((a, b) => a - b);
          const bounds = [0, ...cuts, n];
          const groups = bounds.slice(1).map((to, k) => ({
            range: [bounds[k]!, to],
            ...groupOptions[name]![choices[k]!],
          }));
          const start = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2);
          const js = make(start.slice(), groups, 'js');
          const wasm = make(start.slice(), groups, 'wasm');
          for (let k = 0; k < steps; k++) {
            const grad = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.3 + k) * 4);
            js.step(grad);
            wasm.step(grad);
          }
          expect(wasm.backend).toBe('wasm');
          expect(bits(wasm.params)).toEqual(bits(js.params));
          expect(wasm.state().buffers).toEqual(js.state().buffers);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('float32: a group leaves every parameter outside its range alone', () => {
    // Only the middle group moves (the others see a zero gradient and no weight decay).
    const n = 101;
    const params = Float32Array.from({ length: n }, (_, i) => i);
    const groups = [0, 13, 77].map((from, k) => ({
      range: [from, [13, 77, n][k]!],
      weightDecay: 0,
    }));
    const opt = make(params, groups, 'wasm');
    const grad = Float32Array.from({ length: n }, (_, i) => (i >= 13 && i < 77 ? 1 : 0));
    opt.step(grad);
    const moved = Array.from(params, (x, i) => x !== i);
    expect(moved).toEqual(Array.from({ length: n }, (_, i) => i >= 13 && i < 77));
  });
});
