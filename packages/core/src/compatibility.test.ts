// The compatibility switches reproduce other libraries' own test expectations. Every
// number below is copied from the test file named above it, with that test's own
// tolerance; only the driving code is ours. Each case runs on both backends.
import { describe, expect, it } from 'vitest';
import { Adam, type AdamEpsPlacement, AdamW, RMSProp, type RMSPropOptions } from './index.js';

type Backend = 'js' | 'wasm';
const backends: Backend[] = ['js', 'wasm'];

/** numpy's assertAllClose: |actual - expected| <= atol + rtol * |expected|, worst excess. */
function closeness(actual: ArrayLike<number>, expected: readonly number[], tol: number): number {
  let worst = 0;
  expected.forEach((e, i) => {
    worst = Math.max(worst, Math.abs(actual[i]! - e) - (tol + tol * Math.abs(e)));
  });
  return worst;
}

/** Runs `grads` in turn and records the params after each step. */
function trajectory(
  make: (params: Float64Array) => { step(grad: ArrayLike<number>): boolean },
  start: readonly number[],
  grads: (params: Float64Array, k: number) => number[],
  steps: number,
): number[][] {
  const params = Float64Array.from(start);
  const opt = make(params);
  const out: number[][] = [];
  for (let k = 0; k < steps; k++) {
    opt.step(grads(params, k));
    out.push(Array.from(params));
  }
  return out;
}

// Keras's golden tests: x = ones(10), a first step with gradient 0.01 everywhere, then
// the gradient arange(0.1, 1.1, 0.1) on every later step.
const kerasGoldenGrads = (_: Float64Array, k: number) =>
  Array.from({ length: 10 }, (_, i) => (k === 0 ? 0.01 : 0.1 * (i + 1)));

describe("Keras (keras-team/keras), epsPlacement 'epsilon-hat' / 'inside-sqrt'", () => {
  for (const backend of backends) {
    // keras/src/optimizers/adam_test.py, test_single_step (Keras's eps default 1e-7).
    it(`Adam single step (adam_test.py) [${backend}]`, () => {
      const [after] = trajectory(
        (p) => new Adam(p, { lr: 0.5, eps: 1e-7, epsPlacement: 'epsilon-hat' }, { backend }),
        [1, 2, 3, 4],
        () => [1, 6, 7, 2],
        1,
      );
      expect(closeness(after!, [0.5, 1.5, 2.5, 3.5], 1e-4)).toBeLessThanOrEqual(0);
    });

    // keras/src/optimizers/adam_test.py, test_correctness_with_golden (amsgrad=True).
    it(`AMSGrad golden (adam_test.py) [${backend}]`, () => {
      const golden = [0.999, 0.9982, 0.9974, 0.9965, 0.9955];
      const rows = trajectory(
        (p) =>
          new Adam(
            p,
            { lr: 1e-3, eps: 1e-7, amsgrad: true, epsPlacement: 'epsilon-hat' },
            {
              backend,
            },
          ),
        new Array(10).fill(1),
        kerasGoldenGrads,
        5,
      );
      const worst = Math.max(
        ...rows.map((row, k) => closeness(row, new Array(10).fill(golden[k]), 5e-4)),
      );
      expect(worst).toBeLessThanOrEqual(0);
    });

    // keras/src/optimizers/adamw_test.py, test_single_step (Keras's AdamW default
    // weight_decay is 0.004, applied as p -= p * weightDecay * lr before the update).
    it(`AdamW single step (adamw_test.py) [${backend}]`, () => {
      const [after] = trajectory(
        (p) =>
          new AdamW(
            p,
            { lr: 0.5, eps: 1e-7, weightDecay: 0.004, epsPlacement: 'epsilon-hat' },
            {
              backend,
            },
          ),
        [1, 2, 3, 4],
        () => [1, 6, 7, 2],
        1,
      );
      expect(closeness(after!, [0.498, 1.496, 2.494, 3.492], 1e-4)).toBeLessThanOrEqual(0);
    });

    // keras/src/optimizers/adamw_test.py, test_correctness_with_golden: eps = 2, so
    // where eps goes decides every digit.
    it(`AdamW golden with eps 2 (adamw_test.py) [${backend}]`, () => {
      const golden = [
        [0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998],
        [0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382],
        [0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003],
        [0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258],
        [0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159],
      ];
      const run = (epsPlacement: AdamEpsPlacement) =>
        trajectory(
          (p) => new AdamW(p, { lr: 1, weightDecay: 0.5, eps: 2, epsPlacement }, { backend }),
          new Array(10).fill(1),
          kerasGoldenGrads,
          5,
        );
      const worst = (rows: number[][]) =>
        Math.max(...rows.map((row, k) => closeness(row, golden[k]!, 5e-4)));
      expect(worst(run('epsilon-hat'))).toBeLessThanOrEqual(0);
      // The default placement misses them: the switch is what makes them agree.
      expect(worst(run('after-correction'))).toBeGreaterThan(1e-3);
    });

    // keras/src/optimizers/rmsprop_test.py, test_single_step (rho 0.9, eps 1e-7).
    it(`RMSProp single step (rmsprop_test.py) [${backend}]`, () => {
      const [after] = trajectory(
        (p) =>
          new RMSProp(
            p,
            { lr: 0.5, alpha: 0.9, eps: 1e-7, epsPlacement: 'inside-sqrt' },
            {
              backend,
            },
          ),
        [1, 2, 3, 4],
        () => [1, 6, 7, 2],
        1,
      );
      expect(closeness(after!, [-0.5811, 0.4189, 1.4189, 2.4189], 1e-4)).toBeLessThanOrEqual(0);
    });

    // keras/src/optimizers/rmsprop_test.py, test_correctness_with_golden (centered=True).
    it(`RMSProp centered golden (rmsprop_test.py) [${backend}]`, () => {
      const golden = [0.9967, 0.9933, 0.9908, 0.9885, 0.9864];
      const rows = trajectory(
        (p) =>
          new RMSProp(
            p,
            { lr: 1e-3, alpha: 0.9, eps: 1e-7, centered: true, epsPlacement: 'inside-sqrt' },
            { backend },
          ),
        new Array(10).fill(1),
        kerasGoldenGrads,
        5,
      );
      const worst = Math.max(
        ...rows.map((row, k) => closeness(row, new Array(10).fill(golden[k]), 5e-4)),
      );
      expect(worst).toBeLessThanOrEqual(0);
    });
  }
});

// TensorFlow.js's tests minimise f(x) = sum(x^2) (gradient 2x); expectArraysClose's
// float32 tolerance is 1e-3. Its backend's default epsilon is 1e-7.
const squareGradient = (p: Float64Array) => Array.from(p, (x) => 2 * x);
const sumOfSquares = (row: readonly number[]) => row.reduce((sum, x) => sum + x * x, 0);

describe('TensorFlow.js (tensorflow/tfjs, tfjs-core/src/optimizers)', () => {
  for (const backend of backends) {
    // adam_optimizer_test.ts, 'basic' and 'Continue training after loading weights':
    // TF.js adds eps after the bias correction, as PyTorch does (the default placement).
    it(`Adam (adam_optimizer_test.ts) [${backend}]`, () => {
      const rows = trajectory(
        (p) => new Adam(p, { lr: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-7 }, { backend }),
        [2, 4],
        squareGradient,
        2,
      );
      expect(closeness(rows[0]!, [1.9, 3.9], 1e-3)).toBeLessThanOrEqual(0);
      expect(closeness(rows[1]!, [1.8000001, 3.8002], 1e-3)).toBeLessThanOrEqual(0);
      // The costs minimize() returned on steps 2 and 3: f at the params before the step.
      expect(closeness([sumOfSquares(rows[0]!)], [18.82], 1e-3)).toBeLessThanOrEqual(0);
      expect(closeness([sumOfSquares(rows[1]!)], [17.681284], 1e-3)).toBeLessThanOrEqual(0);
    });

    const rmsprop = (options: RMSPropOptions) => (p: Float64Array) =>
      new RMSProp(
        p,
        { lr: 0.1, alpha: 0.95, momentum: 0.1, eps: 1e-7, epsPlacement: 'inside-sqrt', ...options },
        { backend },
      );

    // rmsprop_optimizer_test.ts, 'Save and load weights: centered = false'.
    it(`RMSProp with momentum (rmsprop_optimizer_test.ts) [${backend}]`, () => {
      const rows = trajectory(rmsprop({}), [1, 2], squareGradient, 2);
      expect(closeness(rows[0]!, [0.5527865, 1.5527864], 1e-3)).toBeLessThanOrEqual(0);
      expect(closeness(rows[1]!, [0.2874418, 1.2294267], 1e-3)).toBeLessThanOrEqual(0);
      expect(closeness([sumOfSquares(rows[0]!)], [2.7167187], 1e-3)).toBeLessThanOrEqual(0);
    });

    // rmsprop_optimizer_test.ts, 'Save, load weights and continue training: centered = true'.
    it(`RMSProp centered with momentum (rmsprop_optimizer_test.ts) [${backend}]`, () => {
      const rows = trajectory(rmsprop({ centered: true }), [1, 2], squareGradient, 2);
      expect(closeness(rows[0]!, [0.5411684, 1.5411685], 1e-3)).toBeLessThanOrEqual(0);
      expect(closeness(rows[1]!, [0.2677834, 1.2035918], 1e-3)).toBeLessThanOrEqual(0);
      expect(closeness([sumOfSquares(rows[0]!)], [2.668063], 1e-3)).toBeLessThanOrEqual(0);
      expect(closeness([sumOfSquares(rows[1]!)], [1.520341], 1e-3)).toBeLessThanOrEqual(0);
    });
  }
});

describe('the placements, one step worked by hand with a large eps', () => {
  // The libraries' tests above use eps of 1e-7, too small for RMSProp's placement to
  // show at their tolerance; eps = 1 makes every digit depend on it.
  for (const backend of backends) {
    it(`RMSProp: sqrt(s + eps) inside, sqrt(s) + eps outside [${backend}]`, () => {
      const s = (1 - 0.9) * 2 * 2;
      for (const [epsPlacement, denominator] of [
        ['inside-sqrt', Math.sqrt(s + 1)],
        ['outside-sqrt', Math.sqrt(s) + 1],
      ] as const) {
        const params = new Float64Array([1]);
        new RMSProp(params, { lr: 0.1, alpha: 0.9, eps: 1, epsPlacement }, { backend }).step([2]);
        expect(params[0]).toBeCloseTo(1 - (0.1 * 2) / denominator, 15);
      }
    });

    it(`Adam: epsilon hat adds eps to the uncorrected sqrt(v) [${backend}]`, () => {
      // Step 1, g = 2: m = 0.2, v = 0.004; Keras's step size lr * sqrt(0.001) / 0.1.
      const params = new Float64Array([1]);
      new Adam(params, { lr: 0.1, eps: 1, epsPlacement: 'epsilon-hat' }, { backend }).step([2]);
      const expected =
        1 - ((0.1 * Math.sqrt(1 - 0.999)) / (1 - 0.9)) * (0.2 / (Math.sqrt(0.004) + 1));
      expect(params[0]).toBeCloseTo(expected, 15);
    });
  }
});
