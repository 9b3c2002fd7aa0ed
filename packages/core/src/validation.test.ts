// One test per validation error: each throws at once, with the right class and a
// message that names the option, what it must be, and what it got.
import { describe, expect, it } from 'vitest';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  constantSchedule,
  cosineSchedule,
  createOptimizer,
  exponentialSchedule,
  NAdam,
  RAdam,
  RMSProp,
  SGD,
  stepDecaySchedule,
  warmupSchedule,
} from './index.js';

const p = () => new Float64Array([1, 2]);
type Ctor = (options: unknown) => unknown;
const adam: Ctor = (o) => new Adam(p(), o as never);
const adamax: Ctor = (o) => new Adamax(p(), o as never);
const nadam: Ctor = (o) => new NAdam(p(), o as never);
const radam: Ctor = (o) => new RAdam(p(), o as never);
const adagrad: Ctor = (o) => new Adagrad(p(), o as never);
const adadelta: Ctor = (o) => new Adadelta(p(), o as never);

describe('constructor options', () => {
  const cases: [string, Ctor, unknown, ErrorConstructor, RegExp][] = [
    ['lr negative', adam, { lr: -1 }, RangeError, /lr must be a positive finite number, got -1/],
    ['lr zero', adam, { lr: 0 }, RangeError, /lr must be a positive finite number, got 0/],
    [
      'lr NaN',
      adam,
      { lr: Number.NaN },
      RangeError,
      /lr must be a positive finite number, got NaN/,
    ],
    ['lr Infinity', adam, { lr: Number.POSITIVE_INFINITY }, RangeError, /got Infinity/],
    ['lr string', adam, { lr: '0.1' }, TypeError, /lr must be a number, got "0.1"/],
    ['beta1 = 1', adam, { beta1: 1 }, RangeError, /beta1 must be in \[0, 1\), got 1/],
    ['beta1 negative', adam, { beta1: -0.1 }, RangeError, /beta1 must be in \[0, 1\), got -0.1/],
    ['beta2 > 1', adam, { beta2: 1.5 }, RangeError, /beta2 must be in \[0, 1\), got 1.5/],
    ['beta2 NaN', adam, { beta2: Number.NaN }, RangeError, /beta2 must be in \[0, 1\), got NaN/],
    [
      'eps negative',
      adam,
      { eps: -1e-8 },
      RangeError,
      /eps must be a finite number >= 0, got -1e-8/,
    ],
    [
      'weightDecay negative',
      adam,
      { weightDecay: -0.1 },
      RangeError,
      /weightDecay must be a finite number >= 0/,
    ],
    [
      'amsgrad not boolean',
      adam,
      { amsgrad: 1 },
      TypeError,
      /amsgrad must be true or false, got 1/,
    ],
    [
      'maximize not boolean',
      adam,
      { maximize: 'yes' },
      TypeError,
      /maximize must be true or false/,
    ],
    [
      'clipValue zero',
      adam,
      { clipValue: 0 },
      RangeError,
      /clipValue must be a positive finite number/,
    ],
    [
      'clipNorm negative',
      adam,
      { clipNorm: -1 },
      RangeError,
      /clipNorm must be a positive finite number/,
    ],
    [
      'nonFinite unknown',
      adam,
      { nonFinite: 'ignore' },
      TypeError,
      /nonFinite must be one of 'throw', 'skip', 'propagate'/,
    ],
    [
      'unknown option (typo)',
      adam,
      { learningRate: 0.1 },
      TypeError,
      /unknown option 'learningRate'/,
    ],
    ['options not an object', adam, 0.1, TypeError, /options must be an object, got 0.1/],
    [
      'AdamW weightDecay negative',
      (o) => new AdamW(p(), o as never),
      { weightDecay: -1 },
      RangeError,
      /adamw: weightDecay/,
    ],
    [
      'SGD momentum = 1',
      (o) => new SGD(p(), o as never),
      { momentum: 1 },
      RangeError,
      /momentum must be in \[0, 1\)/,
    ],
    [
      'SGD dampening > 1',
      (o) => new SGD(p(), o as never),
      { dampening: 2 },
      RangeError,
      /dampening must be in \[0, 1\]/,
    ],
    [
      'SGD nesterov without momentum',
      (o) => new SGD(p(), o as never),
      { nesterov: true },
      RangeError,
      /nesterov needs momentum > 0 and dampening 0/,
    ],
    [
      'RMSProp alpha = 1',
      (o) => new RMSProp(p(), o as never),
      { alpha: 1 },
      RangeError,
      /alpha must be in \[0, 1\)/,
    ],
    [
      'RMSProp centered not boolean',
      (o) => new RMSProp(p(), o as never),
      { centered: 'no' },
      TypeError,
      /centered must be true or false/,
    ],
    [
      'Adam epsPlacement unknown',
      adam,
      { epsPlacement: 'keras' },
      TypeError,
      /epsPlacement must be one of 'after-correction', 'epsilon-hat', got "keras"/,
    ],
    [
      'RMSProp epsPlacement unknown',
      (o) => new RMSProp(p(), o as never),
      { epsPlacement: 'inside' },
      TypeError,
      /epsPlacement must be one of 'outside-sqrt', 'inside-sqrt', got "inside"/,
    ],
    ['Adamax lr zero', adamax, { lr: 0 }, RangeError, /adamax: lr must be a positive finite/],
    [
      'Adamax beta1 = 1',
      adamax,
      { beta1: 1 },
      RangeError,
      /adamax: beta1 must be in \[0, 1\), got 1/,
    ],
    ['Adamax beta2 string', adamax, { beta2: '0.9' }, TypeError, /adamax: beta2 must be a number/],
    [
      'Adamax eps negative',
      adamax,
      { eps: -1 },
      RangeError,
      /adamax: eps must be a finite number >= 0/,
    ],
    [
      'Adamax weightDecay NaN',
      adamax,
      { weightDecay: Number.NaN },
      RangeError,
      /adamax: weightDecay/,
    ],
    [
      'Adamax maximize 1',
      adamax,
      { maximize: 1 },
      TypeError,
      /adamax: maximize must be true or false/,
    ],
    [
      'Adamax amsgrad (not its option)',
      adamax,
      { amsgrad: true },
      TypeError,
      /adamax: unknown option 'amsgrad'/,
    ],
    [
      'NAdam beta1 negative',
      nadam,
      { beta1: -0.5 },
      RangeError,
      /nadam: beta1 must be in \[0, 1\)/,
    ],
    ['NAdam beta2 = 1', nadam, { beta2: 1 }, RangeError, /nadam: beta2 must be in \[0, 1\), got 1/],
    [
      'NAdam eps Infinity',
      nadam,
      { eps: Number.POSITIVE_INFINITY },
      RangeError,
      /nadam: eps must be a finite number >= 0, got Infinity/,
    ],
    [
      'NAdam momentumDecay negative',
      nadam,
      { momentumDecay: -0.004 },
      RangeError,
      /nadam: momentumDecay must be a finite number >= 0, got -0.004/,
    ],
    [
      'NAdam momentumDecay string',
      nadam,
      { momentumDecay: 'fast' },
      TypeError,
      /nadam: momentumDecay must be a number, got "fast"/,
    ],
    [
      'NAdam decoupledWeightDecay 1',
      nadam,
      { decoupledWeightDecay: 1 },
      TypeError,
      /nadam: decoupledWeightDecay must be true or false, got 1/,
    ],
    [
      'NAdam clipValue negative',
      nadam,
      { clipValue: -1 },
      RangeError,
      /nadam: clipValue must be a positive finite number/,
    ],
    [
      'NAdam nonFinite unknown',
      nadam,
      { nonFinite: 'ignore' },
      TypeError,
      /nadam: nonFinite must be one of/,
    ],
    [
      'RAdam beta1 NaN',
      radam,
      { beta1: Number.NaN },
      RangeError,
      /radam: beta1 must be in \[0, 1\), got NaN/,
    ],
    ['RAdam beta2 > 1', radam, { beta2: 2 }, RangeError, /radam: beta2 must be in \[0, 1\), got 2/],
    [
      'RAdam eps negative',
      radam,
      { eps: -1e-8 },
      RangeError,
      /radam: eps must be a finite number >= 0, got -1e-8/,
    ],
    [
      'RAdam decoupledWeightDecay string',
      radam,
      { decoupledWeightDecay: 'yes' },
      TypeError,
      /radam: decoupledWeightDecay must be true or false/,
    ],
    [
      'RAdam weightDecay negative',
      radam,
      { weightDecay: -0.1 },
      RangeError,
      /radam: weightDecay must be a finite number >= 0/,
    ],
    [
      'RAdam momentumDecay (NAdam only)',
      radam,
      { momentumDecay: 0.004 },
      TypeError,
      /radam: unknown option 'momentumDecay'/,
    ],
    [
      'Adagrad lrDecay negative',
      adagrad,
      { lrDecay: -1 },
      RangeError,
      /adagrad: lrDecay must be a finite number >= 0, got -1/,
    ],
    [
      'Adagrad lrDecay string',
      adagrad,
      { lrDecay: '0.1' },
      TypeError,
      /adagrad: lrDecay must be a number, got "0.1"/,
    ],
    [
      'Adagrad initialAccumulatorValue negative',
      adagrad,
      { initialAccumulatorValue: -0.1 },
      RangeError,
      /adagrad: initialAccumulatorValue must be a finite number >= 0, got -0.1/,
    ],
    [
      'Adagrad initialAccumulatorValue Infinity',
      adagrad,
      { initialAccumulatorValue: Number.POSITIVE_INFINITY },
      RangeError,
      /adagrad: initialAccumulatorValue must be a finite number >= 0, got Infinity/,
    ],
    [
      'Adagrad eps negative',
      adagrad,
      { eps: -1e-10 },
      RangeError,
      /adagrad: eps must be a finite number >= 0, got -1e-10/,
    ],
    [
      'Adagrad lr negative',
      adagrad,
      { lr: -0.01 },
      RangeError,
      /adagrad: lr must be a positive finite number, got -0.01/,
    ],
    [
      'Adagrad beta1 (not its option)',
      adagrad,
      { beta1: 0.9 },
      TypeError,
      /adagrad: unknown option 'beta1'/,
    ],
    [
      'Adadelta rho > 1',
      adadelta,
      { rho: 1.5 },
      RangeError,
      /adadelta: rho must be in \[0, 1\], got 1.5/,
    ],
    [
      'Adadelta rho negative',
      adadelta,
      { rho: -0.1 },
      RangeError,
      /adadelta: rho must be in \[0, 1\], got -0.1/,
    ],
    [
      'Adadelta rho string',
      adadelta,
      { rho: '0.9' },
      TypeError,
      /adadelta: rho must be a number, got "0.9"/,
    ],
    [
      'Adadelta eps negative',
      adadelta,
      { eps: -1e-6 },
      RangeError,
      /adadelta: eps must be a finite number >= 0, got -0.000001/,
    ],
    [
      'Adadelta clipNorm zero',
      adadelta,
      { clipNorm: 0 },
      RangeError,
      /adadelta: clipNorm must be a positive finite number/,
    ],
  ];
  for (const [name, make, options, type, message] of cases) {
    it(name, () => {
      expect(() => make(options)).toThrow(type);
      expect(() => make(options)).toThrow(message);
    });
  }
});

describe('params', () => {
  it('refuses a plain array (params are updated in place)', () => {
    expect(() => new Adam([1, 2] as never)).toThrow(TypeError);
    expect(() => new Adam([1, 2] as never)).toThrow(/Float64Array or Float32Array.*got an array/);
  });
  it('refuses an integer typed array', () => {
    expect(() => new Adam(new Int32Array(2) as never)).toThrow(/got a Int32Array/);
  });
  it('refuses an empty vector', () => {
    expect(() => new Adam(new Float64Array(0))).toThrow(RangeError);
  });
});

describe('step()', () => {
  it('refuses a gradient of the wrong length, changing nothing', () => {
    const opt = new Adam(p());
    expect(() => opt.step([1, 2, 3])).toThrow(RangeError);
    expect(() => opt.step([1, 2, 3])).toThrow(/grad has length 3 but there are 2 parameters/);
    expect(opt.stepCount).toBe(0);
  });
  it('refuses a gradient that is not array-like', () => {
    const opt = new Adam(p());
    expect(() => opt.step(42 as never)).toThrow(TypeError);
    expect(() => opt.step(null as never)).toThrow(/grad must be an array or typed array/);
  });
  it('refuses a schedule that returns a non-finite value, changing nothing', () => {
    const params = p();
    const opt = new Adam(params, { lr: (step) => (step === 1 ? Number.NaN : 0.1) });
    opt.step([1, 1]);
    const before = JSON.stringify(opt.state());
    expect(() => opt.step([1, 1])).toThrow(RangeError);
    expect(() => opt.step([1, 1])).toThrow(/schedule returned NaN at step 1/);
    expect(JSON.stringify(opt.state())).toBe(before);
  });
  it('refuses a schedule that returns a negative value', () => {
    const opt = new SGD(p(), { lr: () => -1 });
    expect(() => opt.step([1, 1])).toThrow(/finite number >= 0/);
  });
});

describe('set()', () => {
  it('validates everything before changing anything', () => {
    const opt = new Adam(p(), { lr: 0.1 });
    expect(() => opt.set({ lr: 0.5, beta1: 2 })).toThrow(RangeError);
    expect(opt.options.lr).toBe(0.1);
  });
  it('refuses options the optimizer does not have', () => {
    const opt = new SGD(p());
    expect(() => opt.set({ beta1: 0.5 } as never)).toThrow(/unknown option 'beta1'/);
  });
});

describe('registry', () => {
  it('refuses an unknown optimizer name with the list of names', () => {
    expect(() => createOptimizer('adabelief' as never, p())).toThrow(
      /unknown optimizer "adabelief"; choose one of adam, adamw, amsgrad, sgd, rmsprop, adamax, nadam, radam, adagrad, adadelta/,
    );
  });
});

describe('backend setting', () => {
  it.each([
    ['adamax', (b: unknown) => new Adamax(p(), {}, { backend: b as never })],
    ['nadam', (b: unknown) => new NAdam(p(), {}, { backend: b as never })],
    ['radam', (b: unknown) => new RAdam(p(), {}, { backend: b as never })],
  ])(
    '%s: js, wasm and auto (JS below 32 parameters) are taken, unknown values refused',
    (_name, make) => {
      expect(make('js').backend).toBe('js');
      expect(make('auto').backend).toBe('js');
      expect(make('wasm').backend).toBe('wasm');
      expect(() => make('gpu')).toThrow(/backend must be 'auto', 'wasm' or 'js', got "gpu"/);
    },
  );

  it.each([
    ['adagrad', (b: unknown) => new Adagrad(p(), {}, { backend: b as never })],
    ['adadelta', (b: unknown) => new Adadelta(p(), {}, { backend: b as never })],
  ])('%s: js and auto run the JS loop, wasm and unknown values are refused', (name, make) => {
    expect(make('js').backend).toBe('js');
    expect(make('auto').backend).toBe('js');
    expect(() => make('wasm')).toThrow(TypeError);
    expect(() => make('wasm')).toThrow(new RegExp(`${name}: backend 'wasm' is not available`));
    expect(() => make('gpu')).toThrow(/backend must be 'auto', 'wasm' or 'js', got "gpu"/);
  });
});

describe('schedules', () => {
  it.each([
    ['constant lr 0', () => constantSchedule(0), /lr must be a positive finite number/],
    [
      'step size 0',
      () => stepDecaySchedule({ lr: 1, stepSize: 0 }),
      /stepSize must be a positive integer/,
    ],
    [
      'step gamma 0',
      () => stepDecaySchedule({ lr: 1, stepSize: 2, gamma: 0 }),
      /gamma must be in \(0, 1\]/,
    ],
    [
      'exponential gamma 1.5',
      () => exponentialSchedule({ lr: 1, gamma: 1.5 }),
      /gamma must be in \(0, 1\]/,
    ],
    [
      'cosine steps 1.5',
      () => cosineSchedule({ lr: 1, steps: 1.5 }),
      /steps must be a positive integer/,
    ],
    [
      'cosine minLr > lr',
      () => cosineSchedule({ lr: 1, steps: 10, minLr: 2 }),
      /minLr \(2\) must not exceed lr/,
    ],
    [
      'warmup then string',
      () => warmupSchedule({ steps: 2, after: 'x' as never }),
      /after must be a learning rate or a schedule/,
    ],
    [
      'warmup startFactor 2',
      () => warmupSchedule({ steps: 2, after: 1, startFactor: 2 }),
      /startFactor must be in \[0, 1\]/,
    ],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});
