import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { optimizerNames } from '@adamflow/core';
import { linearSpec, trainSession } from '@adamflow/stream';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';

// Each case spawns node a few times; a busy machine can take seconds per spawn.
vi.setConfig({ testTimeout: 120_000 });

const main = new URL('../dist/main.js', import.meta.url).pathname;
const predict = new URL('../dist/predict.js', import.meta.url).pathname;
const run = (...args: string[]) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
const runPredict = (...args: string[]) =>
  spawnSync(process.execPath, [predict, ...args], { encoding: 'utf8' });
/** Trains on the CSV file `data`, predicting its column `target`. */
const train = (data: string, target: string, ...args: string[]) =>
  run('--data', data, '--target', target, ...args);
// River's Phishing dataset (packages/stream/fixtures/README.md says where it comes from).
const PHISHING = new URL('../../../packages/stream/fixtures/phishing.csv.gz', import.meta.url)
  .pathname;
const dir = mkdtempSync(join(tmpdir(), 'adamflow-cli-'));

/**
 * River's Phishing pipeline, StandardScaler | LogisticRegression(optimizer), its intercept
 * stepped by SGD(0.01), reporting `metrics` as JSON.
 */
const river = (optimizer: string[], metrics: string, data = PHISHING) => [
  ...['--data', data, '--target', 'is_phishing', '--model', 'logistic', '--scale', 'standard'],
  ...optimizer,
  ...['--intercept-lr', '0.01', '--metrics', metrics, '--json'],
];
const SGD = (lr: string) => ['--optimizer', 'sgd', '--lr', lr];
const RIVER = river(SGD('0.1'), 'accuracy');
/** What --resume needs besides the checkpoint: the data, the target, --json. */
const resumeArgs = (data: string, checkpoint: string) => [
  '--data',
  data,
  '--target',
  'is_phishing',
  '--resume',
  checkpoint,
  '--json',
];
interface DataOutput {
  samples: number;
  skipped: number;
  params: number[];
  metrics: Record<string, number>;
}
const json = (result: { stdout: string }) => JSON.parse(result.stdout) as DataOutput;
const percent = (value: number | undefined) => (value! * 100).toFixed(2);

describe('adamflow-train --data (progressive validation on a CSV file)', () => {
  // River's RMSProp: its decay and eps, the eps inside the square root.
  const RIVER_RMSPROP = 'alpha=0.9,eps=1e-8,epsPlacement=inside-sqrt';
  const RIVER_ADADELTA = 'rho=0.95,eps=1e-8';
  const figures = [
    { name: 'SGD(0.1)', metric: 'accuracy', figure: '88.96', optimizer: SGD('0.1') },
    { name: 'SGD(0.01)', metric: 'rocauc-binned', figure: '95.07', optimizer: SGD('0.01') },
    {
      name: 'RMSProp(0.1)',
      metric: 'f1',
      figure: '87.24',
      optimizer: ['--optimizer', 'rmsprop', '--lr', '0.1', '--optimizer-options', RIVER_RMSPROP],
    },
    {
      name: 'AdaDelta(1)',
      metric: 'f1',
      figure: '80.56',
      optimizer: ['--optimizer', 'adadelta', '--lr', '1', '--optimizer-options', RIVER_ADADELTA],
    },
  ];
  for (const { name, metric, figure, optimizer } of figures) {
    it(`reproduces River's Phishing figure: StandardScaler | LogisticRegression(${name}), ${metric} ${figure}%`, () => {
      const result = run(...river(optimizer, metric));
      expect(result.status).toBe(0);
      expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(1);
      const out = json(result);
      expect(out.samples).toBe(1250);
      expect(out.params).toHaveLength(10);
      expect(percent(out.metrics[metric])).toBe(figure);
    });
  }

  it("River's ROCAUC figure is the 10-threshold approximation: the exact area is another number", () => {
    const { metrics } = json(run(...river(SGD('0.01'), 'rocauc-binned,rocauc')));
    expect(percent(metrics['rocauc-binned'])).toBe('95.07');
    expect(percent(metrics['rocauc'])).not.toBe('95.07');
  });

  it('without --intercept-lr one optimizer steps every parameter (another result)', () => {
    const args = RIVER.filter(
      (a, i) => a !== '--intercept-lr' && RIVER[i - 1] !== '--intercept-lr',
    );
    expect(args).toHaveLength(RIVER.length - 2);
    const out = json(run(...args));
    expect(out.params).not.toEqual(json(run(...RIVER)).params);
  });

  it('stop with --limit and --checkpoint, go on with --resume: bitwise the uninterrupted run', () => {
    const args = river(SGD('0.1'), 'accuracy,logloss,rocauc');
    const checkpoint = join(dir, 'run.json');
    const whole = json(run(...args));
    expect(json(run(...args, '--limit', '517', '--checkpoint', checkpoint)).samples).toBe(517);
    const rest = run(...resumeArgs(PHISHING, checkpoint));
    expect(rest.stderr).toBe('');
    expect(json(rest)).toEqual(whole);
  });

  it("on a plain CSV, --resume opens the file at the checkpoint's byte; a changed file is refused", () => {
    const plain = join(dir, 'phishing.csv');
    writeFileSync(plain, gunzipSync(readFileSync(PHISHING)));
    const args = river(SGD('0.1'), 'accuracy,logloss,rocauc', plain);
    const whole = json(run(...args));
    const checkpoint = join(dir, 'plain.json');
    expect(json(run(...args, '--limit', '801', '--checkpoint', checkpoint)).samples).toBe(801);
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as {
      position: { rows: number; byte: number };
    };
    expect(saved.position.rows).toBe(801);
    // The offset is where row 802 starts: just after the 802nd newline (the header's is the first).
    const text = readFileSync(plain, 'latin1');
    let offset = 0;
    for (let i = 0; i < 802; i++) offset = text.indexOf('\n', offset) + 1;
    expect(saved.position.byte).toBe(offset);
    const rest = run(...resumeArgs(plain, checkpoint));
    expect(rest.stderr).toBe('');
    expect(json(rest)).toEqual(whole);
    appendFileSync(plain, text.slice(offset, text.indexOf('\n', offset) + 1));
    const changed = run(...resumeArgs(plain, checkpoint));
    expect(changed.status).toBe(1);
    expect(changed.stdout).toBe('');
    expect(changed.stderr).toMatch(/changed \(size \d+ -> \d+ bytes.*ADAMFLOW_ERR_SOURCE_CHANGED/s);
  });

  it('adamflow-predict restores a checkpoint and predicts each row without learning', () => {
    const checkpoint = join(dir, 'model.json');
    run(...RIVER, '--checkpoint', checkpoint);
    const result = runPredict('--model', checkpoint, '--data', PHISHING, '--json');
    expect(result.status).toBe(0);
    const lines = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { prediction: number; probability: number });
    expect(lines).toHaveLength(1250);
    expect(lines.every((l) => l.prediction === (l.probability > 0.5 ? 1 : 0))).toBe(true);
    const again = runPredict('--model', checkpoint, '--data', PHISHING, '--json');
    expect(again.stdout).toBe(result.stdout);
  });

  it('a bad row stops with its code, line and column; --skip-bad-rows skips and counts it', () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'x,y\n1,2\n2,oops\n3,6\n');
    const bad = train(file, 'y', '--json');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'CSV line 3, column "y": expected a number, got "oops" (ADAMFLOW_ERR_ROW_VALUE)',
    );
    const skipped = train(file, 'y', '--json', '--skip-bad-rows');
    expect(JSON.parse(skipped.stdout)).toMatchObject({ samples: 2, skipped: 1 });
  });

  it.each([
    [['--data', 'x.csv'], /--data needs --target COLUMN/],
    [
      ['--data', 'x.csv', '--target', 'y', '--model', 'tree'],
      /--model must be one of linear, logistic/,
    ],
    [
      ['--data', 'x.csv', '--target', 'y', '--metrics', 'auc'],
      /--metrics takes mae,mse,rmse,r2,accuracy/,
    ],
    [
      ['--data', 'x.csv', '--target', 'y', '--resume', 'r.json', '--lr', '0.1'],
      /--lr comes from the checkpoint/,
    ],
    [
      ['--data', 'x.csv', '--target', 'y', '--seed', '3'],
      /--seed is for --model mlp \(and synthetic streams\), not --model linear/,
    ],
    [['--target', 'y'], /--target needs --data FILE/],
    [
      ['--data', 'x.csv', '--target', 'y', '--optimizer-options', 'alpha'],
      /--optimizer-options takes key=value pairs separated by commas .*got "alpha"/,
    ],
    [
      [
        '--data',
        'x.csv',
        '--target',
        'y',
        '--optimizer',
        'sgd',
        '--optimizer-options',
        'beta1=0.9',
      ],
      /--optimizer-options for sgd: sgd: unknown option 'beta1'/,
    ],
    [
      ['--data', 'x.csv', '--target', 'y', '--optimizer-options', 'epsPlacement=inside'],
      /--optimizer-options for adam: adam: epsPlacement must be one of/,
    ],
    [
      ['--data', 'x.csv', '--target', 'y', '--optimizer-options', 'lr=0.1'],
      /give the learning rate with --lr/,
    ],
    [
      ['--data', 'x.csv', '--target', 'y', '--resume', 'r.json', '--optimizer-options', 'eps=1'],
      /--optimizer-options comes from the checkpoint/,
    ],
    [['--optimizer-options', 'eps=1'], /--optimizer-options needs --data FILE/],
  ])('bad data flags %j exit 2 with a message', (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

// Small data sets drawn here from a seeded generator (mulberry32), so each test knows
// the truth it checks against.
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes a CSV file of `rows` rows made by `row`, returns its path. */
function csv(name: string, header: string, rows: number, row: (i: number) => string): string {
  const file = join(dir, name);
  const lines = [header];
  for (let i = 0; i < rows; i++) lines.push(row(i));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Three colours around three centres, 1 apart at least: separable. */
const CENTRES: Record<string, [number, number]> = { red: [-3, 0], green: [3, 0], blue: [0, 4] };
function colours(name: string, rows: number, extra?: string): string {
  const random = uniform(1);
  const names = Object.keys(CENTRES);
  return csv(name, 'x1,x2,colour', rows, (i) => {
    const label = extra !== undefined && i === rows - 1 ? extra : names[Math.floor(random() * 3)]!;
    const [a, b] = CENTRES[label] ?? [0, 0];
    return `${a + 2 * random() - 1},${b + 2 * random() - 1},${label}`;
  });
}

/** y = sin(3x), x ~ U[-1, 1]: no line fits it. */
function sine(name: string, rows: number): string {
  const random = uniform(3);
  return csv(name, 'x,y', rows, () => {
    const x = 2 * random() - 1;
    return `${x},${Math.sin(3 * x)}`;
  });
}

const SOFTMAX_3 = ['--model', 'softmax', '--classes', '3'];
/** A 3-class MLP classifier with one hidden layer `width` wide. */
const mlpClasses = (width: string) => [
  '--model',
  'mlp',
  '--task',
  'classification',
  '--classes',
  '3',
  '--hidden',
  width,
];

const predictRows = (...args: string[]) =>
  runPredict(...args, '--json')
    .stdout.split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { prediction: number | string; probability?: number[] });

describe('adamflow-train --data --model softmax | poisson | mlp', () => {
  it('softmax learns three separable classes with string labels', () => {
    const result = train(colours('colours.csv', 3000), 'colour', ...SOFTMAX_3, '--json');
    expect(result.status).toBe(0);
    const out = json(result);
    expect(out.samples).toBe(3000);
    expect(out.params).toHaveLength(3 * 3);
    expect(Object.keys(out.metrics)).toEqual(['accuracy', 'macro-f1', 'logloss']);
    expect(out.metrics['accuracy']).toBeGreaterThan(0.97);
    expect(out.metrics['macro-f1']).toBeGreaterThan(0.97);
    expect(out.metrics['logloss']).toBeLessThan(0.2);
  });

  it('a label past --classes K stops the run with a coded message', () => {
    const data = colours('four-colours.csv', 200, 'violet');
    const result = train(data, 'colour', ...SOFTMAX_3, '--json');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'the target column has more than --classes 3 labels: "violet" is one too many; pass --classes with the number of distinct labels (ADAMFLOW_ERR_CATEGORY_OVERFLOW)',
    );
  });

  it('poisson: a negative count stops the run naming its line and column; --skip-bad-rows skips it', () => {
    const data = csv('negative-count.csv', 'x,n', 5, (i) => `${i},${i === 2 ? -3 : i}`);
    const args = [data, 'n', '--model', 'poisson', '--json'] as const;
    const stopped = train(...args);
    expect(stopped.status).toBe(1);
    expect(stopped.stdout).toBe('');
    expect(stopped.stderr).toContain(
      'CSV line 4, column "n": expected a count, a finite number >= 0, got "-3"',
    );
    const skipped = train(...args, '--skip-bad-rows');
    expect(skipped.status).toBe(0);
    expect([json(skipped).samples, json(skipped).skipped]).toEqual([4, 1]);
  });

  it('poisson recovers the coefficients of a log-linear rate from counts', () => {
    // count ~ Poisson(exp(0.5 + 0.8 x1 - 0.4 x2)), drawn by inversion.
    const truth = [0.5, 0.8, -0.4];
    const random = uniform(2);
    const data = csv('counts.csv', 'x1,x2,count', 4000, () => {
      const x1 = 2 * random() - 1;
      const x2 = 2 * random() - 1;
      const rate = Math.exp(truth[0]! + truth[1]! * x1 + truth[2]! * x2);
      const u = random();
      let k = 0;
      let p = Math.exp(-rate);
      for (let c = p; u > c; c += p) p *= rate / ++k;
      return `${x1},${x2},${k}`;
    });
    const result = train(data, 'count', '--model', 'poisson', ...SGD('0.003'), '--json');
    expect(result.status).toBe(0);
    const out = json(result);
    expect(Object.keys(out.metrics)).toEqual(['mae', 'rmse']);
    const errors = out.params.map((p, i) => Math.abs(p - truth[i]!));
    expect(Math.max(...errors)).toBeLessThan(0.1);
  });

  it("mlp regression of sin(3x) beats linear regression's MSE by far", () => {
    const data = sine('sine.csv', 4000);
    const mse = (...model: string[]) =>
      json(train(data, 'y', ...model, '--metrics', 'mse', '--json')).metrics['mse']!;
    const linear = mse('--model', 'linear');
    const net = mse('--model', 'mlp', '--hidden', '16', '--activation', 'tanh', '--seed', '5');
    expect(net).toBeLessThan(linear / 2);
  });

  it('mlp --seed: the same seed gives the same run, another another', () => {
    const data = sine('sine-seed.csv', 300);
    const out = (seed: string) =>
      train(data, 'y', '--model', 'mlp', '--hidden', '4', '--seed', seed, '--json').stdout;
    expect(out('7')).toBe(out('7'));
    expect(out('8')).not.toBe(out('7'));
  });

  it('mlp checkpoint, then adamflow-predict: regression values and K-class labels', () => {
    const data = sine('sine-model.csv', 4000);
    const regression = join(dir, 'mlp-regression.json');
    const trained = train(
      ...[data, 'y', '--model', 'mlp', '--hidden', '16'],
      ...['--checkpoint', regression, '--json'],
    );
    expect(trained.status).toBe(0);
    const points = csv('points.csv', 'x', 50, (i) => String(-0.98 + 0.04 * i));
    const values = predictRows('--model', regression, '--data', points);
    expect(values).toHaveLength(50);
    const errors = values.map(
      (v, i) => ((v.prediction as number) - Math.sin(3 * (-0.98 + 0.04 * i))) ** 2,
    );
    expect(errors.reduce((a, b) => a + b) / 50).toBeLessThan(0.02);

    const colourData = colours('colours-mlp.csv', 3000);
    const classifier = join(dir, 'mlp-classes.json');
    const fit = train(
      ...[colourData, 'colour', ...mlpClasses('8')],
      ...['--checkpoint', classifier, '--json'],
    );
    expect(json(fit).metrics['accuracy']).toBeGreaterThan(0.95);
    const labels = predictRows('--model', classifier, '--data', colourData);
    const truth = readFileSync(colourData, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[2]);
    const right = labels.filter((l, i) => l.prediction === truth[i]).length;
    expect(right / truth.length).toBeGreaterThan(0.97);
    expect(labels.every((l) => l.probability?.length === 3)).toBe(true);
  });

  it('a K-class mlp stopped and resumed is bitwise the uninterrupted run (labels kept)', () => {
    const data = colours('colours-resume.csv', 3000);
    const whole = train(data, 'colour', ...mlpClasses('4'), '--json').stdout;
    const checkpoint = join(dir, 'mlp-part.json');
    train(data, 'colour', ...mlpClasses('4'), '--limit', '1234', '--checkpoint', checkpoint);
    const rest = train(data, 'colour', '--resume', checkpoint, '--json');
    expect(rest.stderr).toBe('');
    expect(rest.stdout).toBe(whole);
  });

  it.each([
    [['--model', 'softmax'], /--model softmax needs --classes K/],
    [['--model', 'softmax', '--classes', '1'], /--classes must be an integer >= 2, got "1"/],
    [
      ['--model', 'softmax', '--classes', 'three'],
      /--classes must be an integer >= 2, got "three"/,
    ],
    [
      ['--model', 'linear', '--classes', '3'],
      /--classes is for --model softmax or mlp, not --model linear/,
    ],
    [
      ['--model', 'mlp', '--classes', '3'],
      /--classes needs --task classification with --model mlp/,
    ],
    [
      ['--model', 'mlp', '--hidden', '0'],
      /--hidden takes the hidden layers' widths, positive integers .*got "0"/,
    ],
    [['--model', 'mlp', '--hidden', '32,1.5'], /--hidden takes .* got "32,1.5"/],
    [['--model', 'poisson', '--hidden', '8'], /--hidden is for --model mlp, not --model poisson/],
    [
      ['--model', 'mlp', '--activation', 'sigmoid'],
      /--activation must be tanh or relu, got "sigmoid"/,
    ],
    [
      ['--model', 'mlp', '--task', 'ranking'],
      /--task must be regression or classification, got "ranking"/,
    ],
    [
      ['--model', 'mlp', '--seed', '1.5'],
      /--seed must be an integer in \[0, 4294967295\], got "1.5"/,
    ],
    [
      ['--model', 'softmax', '--classes', '3', '--metrics', 'rocauc'],
      /--metrics rocauc does not fit --model softmax \(K classes\); it takes accuracy,macro-f1,logloss/,
    ],
    [
      ['--model', 'poisson', '--metrics', 'accuracy'],
      /--metrics accuracy does not fit --model poisson \(a regression\)/,
    ],
  ])('bad model flags %j exit 2 with a message', (args, message) => {
    const result = run('--data', 'x.csv', '--target', 'y', ...args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});

describe('adamflow-train (built CLI)', () => {
  it('--json prints exactly one line on stdout; the defaults learn the seed line', () => {
    const result = run('--samples', '200000', '--json');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { params: number[]; samples: number; loss: number };
    expect(out.samples).toBe(200_000);
    expect(Math.abs(out.params[0]! - 4)).toBeLessThan(0.1);
    expect(Math.abs(out.params[1]! - 3)).toBeLessThan(0.1);
    expect(out.loss).toBeGreaterThan(0.5);
    expect(out.loss).toBeLessThan(1.5);
  });

  it('the same flags and seed print the same line; another seed does not', () => {
    const flags = [
      '--samples',
      '5000',
      '--seed',
      '7',
      '--optimizer',
      'rmsprop',
      '--batch',
      '4',
      '--json',
    ];
    const a = run(...flags).stdout;
    expect(run(...flags).stdout).toBe(a);
    expect(run(...flags.map((f) => (f === '7' ? '8' : f))).stdout).not.toBe(a);
  });

  it('trains on the seed line by default, exactly as trainSession does on linearSpec; --source linear is its alias', async () => {
    const flags = ['--samples', '3000', '--seed', '5', '--json'];
    const [plain, alias, named] = [[], ['--source', 'linear'], ['--source', 'seed']].map(
      (extra) => run(...flags, ...extra).stdout,
    );
    const end = await lastValueFrom(
      trainSession({ source: linearSpec({ seed: 5 }), optimizer: 'adam', lr: 0.01, samples: 3000 }),
    );
    const out = JSON.parse(plain!) as { params: number[]; source: string };
    expect([alias, named]).toEqual([plain, plain]);
    expect(out.source).toBe('seed');
    expect(end.type === 'run-end' && end.params).toEqual(out.params);
  });

  it.each(optimizerNames)('--optimizer %s trains the seed line', (name) => {
    const out = JSON.parse(run('--optimizer', name, '--samples', '100000', '--json').stdout) as {
      params: number[];
    };
    expect(Math.abs(out.params[0]! - 4)).toBeLessThan(0.25);
    expect(Math.abs(out.params[1]! - 3)).toBeLessThan(0.25);
  });

  it.each(['multilinear', 'logistic', 'drift'])(
    '--source %s runs and reports intercept first',
    (source) => {
      const out = JSON.parse(run('--source', source, '--samples', '2000', '--json').stdout) as {
        params: number[];
        source: string;
      };
      expect(out.source).toBe(source);
      expect(out.params.length).toBeGreaterThanOrEqual(2);
    },
  );

  it('--seed 0 and --seed 4294967295 are different runs (the whole stated range is usable)', () => {
    const a = run('--seed', '0', '--samples', '1000', '--json').stdout;
    expect(run('--seed', '4294967295', '--samples', '1000', '--json').stdout).not.toBe(a);
  });

  it.each([['adam'], ['sgd']])('--lr 1e9 (%s) reports divergence and exits 1', (optimizer) => {
    const result = run('--lr', '1e9', '--optimizer', optimizer, '--samples', '20000', '--json');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/training diverged.*lower --lr \(ADAMFLOW_ERR_DIVERGED\)/);
  });

  it('--help states each source and its parameters, and the data flags', () => {
    const help = run('--help').stdout;
    // The source lines come from the catalogue; test/src/source-catalogue.test.ts checks
    // each description is there. Here: the drift position and the alias.
    expect(help.replace(/\s+/g, ' ')).toContain(
      'drift y = 4 + 3x + N(0, 1) turning into y = 1 - 2x + N(0, 1) around sample 10,000 (a sigmoid blend of width 4,000)',
    );
    expect(help).toMatch(/seed +y = 4 \+ 3x \+ N\(0, 1\)/);
    expect(help).toMatch(/linear +another name for seed/);
    expect(help).toContain('--intercept-lr X');
    expect(help).toMatch(/softmax +K-class softmax regression/);
    expect(help).toContain('--hidden W,W');
    expect(help).toContain('a (K+1)th label stops the run');
  });

  it('prints a human summary without --json', () => {
    const result = run('--samples', '1000');
    expect(result.stdout).toMatch(/params +bias = [\d.]+, w1 = [\d.]+/);
    expect(result.stdout).toMatch(/samples +1,000 in/);
  });

  it.each([
    [['--samples', '0'], /--samples must be an integer >= 1/],
    [
      ['--optimizer', 'adabelief'],
      /--optimizer must be one of adam, adamw, amsgrad, sgd, rmsprop, adamax, nadam, radam, adagrad, adadelta/,
    ],
    [['--source', 'sine'], /--source must be one of seed, multilinear, drift, logistic, linear/],
    [['--lr', 'fast'], /--lr must be a positive number/],
    [['--batch', '1.5'], /--batch must be an integer >= 1/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--samples', '-5'], /--samples must be an integer >= 1, got "-5"/],
    [['--seed', '1.5'], /--seed must be an integer in \[0, 4294967295\], got "1.5"/],
    [['--seed', '4294967296'], /--seed must be an integer in \[0, 4294967295\], got "4294967296"/],
    [['--seed', '-1'], /--seed must be an integer in \[0, 4294967295\], got "-1"/],
  ])('bad flags %j exit 2 with a message and the usage', (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: adamflow-train');
  });
});
