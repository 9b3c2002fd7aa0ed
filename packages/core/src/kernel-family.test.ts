// Adamax, NAdam and RAdam on the SIMD kernel: the same trajectories as their JavaScript
// loops, bitwise in float64 (random problems, every option, parameter groups with
// ragged ranges), and within rounding in float32.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adamax, NAdam, type Optimizer, type ParamArray, RAdam } from './index.js';

type Make = (params: ParamArray, options: object, backend: 'js' | 'wasm') => Optimizer;
const makers: [string, Make][] = [
  ['Adamax', (p, o, backend) => new Adamax(p, o, { backend })],
  ['NAdam', (p, o, backend) => new NAdam(p, o, { backend })],
  ['RAdam', (p, o, backend) => new RAdam(p, o, { backend })],
];

const bits = (a: ParamArray) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** Every state buffer and the params, as bytes. */
function snapshotBits(opt: Optimizer): string {
  const { buffers, scalars, stepCount } = opt.state();
  return JSON.stringify({ buffers, scalars, stepCount });
}

const options = fc.record(
  {
    lr: fc.constantFrom(0.001, 0.01, 0.1),
    beta1: fc.constantFrom(0, 0.5, 0.9),
    beta2: fc.constantFrom(0.5, 0.9, 0.999),
    eps: fc.constantFrom(0, 1e-8, 1e-3),
    weightDecay: fc.constantFrom(0, 0.01, 0.5),
    maximize: fc.boolean(),
    clipValue: fc.constantFrom(null, 0.5, 3),
    clipNorm: fc.constantFrom(null, 1, 100),
    decoupledWeightDecay: fc.boolean(),
    momentumDecay: fc.constantFrom(0, 4e-3, 0.05),
  },
  { requiredKeys: ['lr'] },
);

describe.each(makers)('%s on the kernel', (name, make) => {
  /** Drops the options this optimizer does not have. */
  const own = (o: Record<string, unknown>) => {
    const { decoupledWeightDecay, momentumDecay, eps, ...rest } = o;
    const out: Record<string, unknown> = { ...rest, nonFinite: 'propagate' };
    // eps 0 would divide 0 by 0 for Adamax's zero-gradient lanes; the others allow it.
    if (eps !== undefined && !(name === 'Adamax' && eps === 0)) out['eps'] = eps;
    if (name !== 'Adamax' && decoupledWeightDecay !== undefined)
      out['decoupledWeightDecay'] = decoupledWeightDecay;
    if (name === 'NAdam' && momentumDecay !== undefined) out['momentumDecay'] = momentumDecay;
    return out;
  };

  it('float64: bitwise identical to the JS loop, with and without groups (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        options,
        fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        (n, steps, seed, o, cut) => {
          let state = seed >>> 0 || 1;
          const random = () => {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            return ((state >>> 0) / 2 ** 32) * 2 - 1;
          };
          const settings = own(o);
          // A second group over a ragged tail, with its own rate and decay.
          const at = cut === undefined ? n : Math.floor(cut * n);
          if (at > 0 && at < n) {
            settings['groups'] = [
              { range: [0, at] },
              { range: [at, n], lr: 0.05, weightDecay: 0.1 },
            ];
          }
          const start = Float64Array.from({ length: n }, () => random() * 3);
          const js = make(start.slice(), settings, 'js');
          const wasm = make(start.slice(), settings, 'wasm');
          expect(wasm.backend).toBe('wasm');
          for (let k = 0; k < steps; k++) {
            const grad = Array.from({ length: n }, () => random() * 10 ** Math.floor(random() * 6));
            js.step(grad);
            wasm.step(grad);
          }
          expect(bits(wasm.params)).toEqual(bits(js.params));
          expect(snapshotBits(wasm)).toBe(snapshotBits(js));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('float32: within 1e-5 of the JS loop over 200 steps (f32 arithmetic vs f64 rounded on store)', () => {
    for (const settings of [
      { lr: 0.01 },
      own({
        lr: 0.01,
        weightDecay: 0.01,
        clipValue: 2,
        maximize: true,
        decoupledWeightDecay: true,
      }),
    ]) {
      const n = 257;
      const start = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const js = make(start.slice(), settings, 'js');
      const wasm = make(start.slice(), settings, 'wasm');
      const differences: number[] = [];
      for (let k = 0; k < 200; k++) {
        const grad = Float32Array.from(
          { length: n },
          (_, i) => Math.cos(i * 0.37 + k) * (1 + (i % 7)),
        );
        js.step(grad);
        wasm.step(grad);
        for (let i = 0; i < n; i++) {
          differences.push(
            Math.abs(wasm.params[i]! - js.params[i]!) / Math.max(1, Math.abs(js.params[i]!)),
          );
        }
      }
      expect(Math.max(...differences)).toBeLessThan(1e-5);
    }
  });
});
