import { spawnSync } from 'node:child_process';
import { optimizerNames } from '@adamflow/core';
import { describe, expect, it } from 'vitest';

const main = new URL('../dist/main.js', import.meta.url).pathname;
const run = (...args: string[]) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });

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
    [['--source', 'sine'], /--source must be one of linear, multilinear, logistic, drift/],
    [['--lr', 'fast'], /--lr must be a positive number/],
    [['--batch', '1.5'], /--batch must be an integer >= 1/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('bad flags %j exit 2 with a message and the usage', (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: adamflow-train');
  });
});
