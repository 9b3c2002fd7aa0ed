import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamflowError,
  type AdamOptions,
  AdamW,
  RMSProp,
  SGD,
  wasmSimdAvailable,
} from './index.js';

const bits = (a: Float32Array | Float64Array) =>
  Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

describe('the embedded kernel', () => {
  it('is what kernel/optimizers.wat compiles to (no drift between source and bytes)', async () => {
    const { compileKernel, renderModule } = (await import(
      new URL('../scripts/build-kernel.mjs', import.meta.url).href
    )) as { compileKernel(): Promise<Buffer>; renderModule(bytes: Buffer): string };
    const embedded = readFileSync(new URL('./kernel-binary.ts', import.meta.url), 'utf8');
    expect(embedded).toBe(renderModule(await compileKernel()));
  });

  it('runs here (Node 20 has WebAssembly SIMD), so the tests below exercise it', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(new Adam(new Float32Array(1000)).backend).toBe('wasm');
    expect(new Adam(new Float32Array(10)).backend).toBe('js');
    expect(new Adam(new Float32Array(1000), {}, { backend: 'js' }).backend).toBe('js');
  });
});

const optionSets: [string, AdamOptions][] = [
  ['defaults', { lr: 0.01 }],
  ['L2 weight decay', { lr: 0.01, weightDecay: 0.1 }],
  ['amsgrad', { lr: 0.02, amsgrad: true }],
  ['maximize', { lr: 0.01, maximize: true }],
  ['clip by value', { lr: 0.01, clipValue: 0.3 }],
  ['clip by norm', { lr: 0.01, clipNorm: 2 }],
  ['epsilon hat', { lr: 0.01, eps: 1e-3, epsPlacement: 'epsilon-hat' }],
  [
    'epsilon hat, amsgrad, decay',
    { lr: 0.01, amsgrad: true, weightDecay: 0.1, epsPlacement: 'epsilon-hat' },
  ],
  [
    'everything',
    {
      lr: 0.05,
      beta1: 0.8,
      beta2: 0.95,
      eps: 1e-6,
      weightDecay: 0.02,
      amsgrad: true,
      maximize: true,
      clipValue: 1,
      clipNorm: 5,
    },
  ],
];

describe.each(optionSets)('WASM and JS backends, %s', (_name, options) => {
  it('float64: bitwise identical trajectories (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        fc.boolean(),
        (n, steps, seed, decoupled) => {
          const Optimizer = decoupled ? AdamW : Adam;
          let state = seed >>> 0 || 1;
          const random = () => {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            return ((state >>> 0) / 2 ** 32) * 2 - 1;
          };
          const start = Float64Array.from({ length: n }, () => random() * 3);
          const js = new Optimizer(start.slice(), options, { backend: 'js' });
          const wasm = new Optimizer(start.slice(), options, { backend: 'wasm' });
          expect(wasm.backend).toBe('wasm');
          for (let k = 0; k < steps; k++) {
            const grad = Array.from({ length: n }, () => random() * 10 ** Math.floor(random() * 6));
            js.step(grad);
            wasm.step(grad);
          }
          expect(bits(wasm.params)).toEqual(bits(js.params));
          expect(bits(wasm.firstMoment)).toEqual(bits(js.firstMoment));
          expect(bits(wasm.secondMoment)).toEqual(bits(js.secondMoment));
          expect(bits(wasm.maxSecondMoment)).toEqual(bits(js.maxSecondMoment));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('float32: within 1e-5 of the JS path over 200 steps (f32 arithmetic vs f64 rounded on store)', () => {
    const n = 257;
    const start = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const js = new Adam(start.slice(), options, { backend: 'js' });
    const wasm = new Adam(start.slice(), options, { backend: 'wasm' });
    let worst = 0;
    for (let k = 0; k < 200; k++) {
      const grad = Float32Array.from(
        { length: n },
        (_, i) => Math.cos(i * 0.37 + k) * (1 + (i % 7)),
      );
      js.step(grad);
      wasm.step(grad);
      for (let i = 0; i < n; i++) {
        worst = Math.max(
          worst,
          Math.abs(wasm.params[i]! - js.params[i]!) / Math.max(1, Math.abs(js.params[i]!)),
        );
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('Adam.allocate: parameters in WebAssembly memory', () => {
  it('hands out views (params, gradient, moments) in one memory that never detaches', () => {
    const opt = Adam.allocate(1000, { lr: 0.1 }, 'float64');
    expect(opt.backend).toBe('wasm');
    const gradient = opt.gradient!;
    expect(opt.params).toBeInstanceOf(Float64Array);
    expect(opt.params.buffer).toBe(gradient.buffer);
    expect(opt.firstMoment.buffer).toBe(gradient.buffer);
    const buffer = opt.params.buffer;
    opt.params.fill(1);
    for (let k = 0; k < 100; k++) {
      for (let i = 0; i < 1000; i++) gradient[i] = 2 * (opt.params[i]! - 3);
      opt.step(gradient);
    }
    expect(opt.params.buffer).toBe(buffer);
    expect(opt.params.byteLength).toBe(8000);
    expect(opt.params[0]).toBeGreaterThan(2);
  });

  it('matches an optimizer over a plain array, bit for bit (float64)', () => {
    const owned = Adam.allocate(300, { lr: 0.05, amsgrad: true }, 'float64');
    const plain = new Adam(new Float64Array(300), { lr: 0.05, amsgrad: true }, { backend: 'js' });
    for (let k = 0; k < 30; k++) {
      for (let i = 0; i < 300; i++) owned.gradient![i] = Math.sin(i + k * owned.params[i]!);
      plain.step(owned.gradient!.slice());
      owned.step(owned.gradient!);
    }
    expect(bits(owned.params)).toEqual(bits(plain.params));
  });

  it('snapshots restore into allocated memory and continue identically', () => {
    const a = Adam.allocate(130, { lr: 0.01 });
    const grad = Float32Array.from({ length: 130 }, (_, i) => i / 130 - 0.5);
    a.step(grad);
    const b = Adam.allocate(130, { lr: 0.01 });
    b.loadState(JSON.parse(JSON.stringify(a.state())));
    a.step(grad);
    b.step(grad);
    expect(bits(b.params)).toEqual(bits(a.params));
  });

  it("a non-finite gradient under 'throw' changes nothing on the kernel either", () => {
    const opt = new Adam(
      Float64Array.from({ length: 200 }, (_, i) => i),
      { lr: 0.1 },
      { backend: 'wasm' },
    );
    opt.step(new Float64Array(200).fill(0.5));
    const before = JSON.stringify(opt.state());
    const bad = new Float64Array(200).fill(0.5);
    bad[137] = Number.POSITIVE_INFINITY;
    expect(() => opt.step(bad)).toThrow(AdamflowError);
    expect(JSON.stringify(opt.state())).toBe(before);
    opt.set({ nonFinite: 'skip' });
    expect(opt.step(bad)).toBe(false);
    const after = opt.state();
    expect(after.buffers).toEqual(JSON.parse(before).buffers);
    expect(after.stepCount).toBe(1);
    expect(after.skippedSteps).toBe(1);
  });

  it('the SIMD finite check finds a NaN or Infinity at any index (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 64, max: 300 }),
        fc.nat(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
        fc.boolean(),
        (n, at, poison, float64) => {
          const params = float64 ? new Float64Array(n) : new Float32Array(n);
          const opt = new Adam(params, { lr: 0.1 }, { backend: 'wasm' });
          const grad = new Array<number>(n).fill(1);
          grad[at % n] = poison;
          expect(() => opt.step(grad)).toThrow(AdamflowError);
          expect(opt.stepCount).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the SIMD finite check passes every finite value, extremes and -0 included', () => {
    const extremes64 = [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -0, 0, 1e-310];
    const extremes32 = [3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, -0];
    for (const float64 of [false, true]) {
      const extremes = float64 ? extremes64 : extremes32;
      const n = 67;
      const params = float64 ? new Float64Array(n) : new Float32Array(n);
      const opt = new Adam(params, { lr: 0.1 }, { backend: 'wasm' });
      const grad = Array.from({ length: n }, (_, i) => extremes[i % extremes.length]!);
      expect(opt.step(grad)).toBe(true);
    }
  });

  it('refuses bad arguments', () => {
    expect(() => Adam.allocate(0)).toThrow(RangeError);
    expect(() => Adam.allocate(10, {}, 'int8' as never)).toThrow(TypeError);
    expect(() => new Adam(new Float32Array(10), {}, { backend: 'gpu' as never })).toThrow(
      /backend must be/,
    );
  });
});

describe('SGD and RMSProp on the kernel', () => {
  const cases: [
    string,
    (p: Float64Array | Float32Array, backend: 'js' | 'wasm') => SGD | RMSProp,
  ][] = [
    ['SGD plain', (p, backend) => new SGD(p, { lr: 0.01 }, { backend })],
    ['SGD momentum', (p, backend) => new SGD(p, { lr: 0.01, momentum: 0.9 }, { backend })],
    [
      'SGD Nesterov, decay, clip, maximize',
      (p, backend) =>
        new SGD(
          p,
          {
            lr: 0.01,
            momentum: 0.8,
            nesterov: true,
            weightDecay: 0.01,
            clipValue: 2,
            maximize: true,
            clipNorm: 10,
          },
          { backend },
        ),
    ],
    [
      'SGD dampening',
      (p, backend) => new SGD(p, { lr: 0.01, momentum: 0.5, dampening: 0.3 }, { backend }),
    ],
    ['RMSProp plain', (p, backend) => new RMSProp(p, { lr: 0.01 }, { backend })],
    [
      'RMSProp centered momentum',
      (p, backend) => new RMSProp(p, { lr: 0.01, centered: true, momentum: 0.9 }, { backend }),
    ],
    [
      'RMSProp eps inside the square root',
      (p, backend) =>
        new RMSProp(p, { lr: 0.01, eps: 1e-3, epsPlacement: 'inside-sqrt' }, { backend }),
    ],
    [
      'RMSProp centered momentum, eps inside the square root',
      (p, backend) =>
        new RMSProp(
          p,
          { lr: 0.01, centered: true, momentum: 0.9, epsPlacement: 'inside-sqrt' },
          { backend },
        ),
    ],
    [
      'RMSProp everything',
      (p, backend) =>
        new RMSProp(
          p,
          {
            lr: 0.005,
            alpha: 0.9,
            eps: 1e-6,
            centered: true,
            momentum: 0.5,
            weightDecay: 0.02,
            clipValue: 1,
            maximize: true,
          },
          { backend },
        ),
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: float64 bitwise identical to JS, float32 within 1e-5`, () => {
      for (const float64 of [true, false]) {
        const n = 203;
        const from = (length: number, f: (i: number) => number) =>
          float64
            ? Float64Array.from({ length }, (_, i) => f(i))
            : Float32Array.from({ length }, (_, i) => f(i));
        const start = from(n, (i) => Math.sin(i) * 2);
        const js = make(start.slice(), 'js');
        const wasm = make(start.slice(), 'wasm');
        expect(wasm.backend).toBe('wasm');
        for (let k = 0; k < 60; k++) {
          const grad = from(n, (i) => Math.cos(i * 0.71 + k) * 10 ** ((i % 5) - 2));
          js.step(grad);
          wasm.step(grad);
        }
        if (float64) expect(bits(wasm.params)).toEqual(bits(js.params));
        else {
          for (let i = 0; i < n; i++) {
            expect(Math.abs(wasm.params[i]! - js.params[i]!)).toBeLessThan(
              1e-5 * Math.max(1, Math.abs(js.params[i]!)),
            );
          }
        }
      }
    });
  }
});
