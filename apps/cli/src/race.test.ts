import { spawnSync } from 'node:child_process';
import { createOptimizer, type OptimizerName, optimizers } from '@adamflow/core';
import { createGenerator, Learner, linearRegression, linearSpec } from '@adamflow/stream';
import { describe, expect, it, vi } from 'vitest';
import { parseRace } from './race.js';

// Each case spawns node; a busy machine can take seconds per spawn.
vi.setConfig({ testTimeout: 120_000 });

const main = new URL('../dist/main.js', import.meta.url).pathname;
const run = (...args: string[]) =>
  spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });

interface Line {
  contestant: string;
  optimizer: OptimizerName;
  options: Record<string, number | boolean>;
  params: number[];
  loss: number;
  steps: number;
  rank: number;
}

/** The optimizer alone on the CLI's linear stream, as the library would train it. */
function alone(optimizer: OptimizerName, options: Record<string, number | boolean>, n: number) {
  const learner = new Learner({
    model: linearRegression(),
    optimizer: (params) => createOptimizer(optimizer, params, options),
  });
  const source = createGenerator(linearSpec({ seed: 5 }));
  for (let i = 0; i < n; i++) learner.learn(source.next());
  return { params: Array.from(learner.params), loss: learner.metrics.live.lossEma };
}

describe('adamflow-train --race', () => {
  const args = ['--race', 'adam,rmsprop,sgd:lr=0.002:momentum=0.5', '--samples', '3000'];
  const common = [...args, '--seed', '5', '--lr', '0.02'];

  it('prints one JSON line per contestant, each as if trained alone, ranked by loss', () => {
    const result = run(...common, '--json');
    expect(result.status).toBe(0);
    const lines = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
    expect(lines.map((line) => line.contestant).sort()).toEqual(['adam', 'rmsprop', 'sgd']);
    expect(lines.map((line) => line.rank)).toEqual([1, 2, 3]);
    const losses = lines.map((line) => line.loss);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    const demo = (name: OptimizerName) =>
      optimizers[name].demoOptions as Readonly<Record<string, number | boolean>>;
    const expected: Record<string, Record<string, number | boolean>> = {
      adam: { ...demo('adam'), lr: 0.02 },
      rmsprop: { ...demo('rmsprop'), lr: 0.02 },
      sgd: { ...demo('sgd'), lr: 0.002, momentum: 0.5 },
    };
    for (const line of lines) {
      expect(line.options).toEqual(expected[line.contestant]);
      expect({ params: line.params, loss: line.loss }).toEqual(
        alone(line.optimizer, expected[line.contestant]!, 3000),
      );
      expect(line.steps).toBe(3000);
    }
  });

  it('prints a table by rank with the same figures', () => {
    const json = run(...common, '--json')
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
    const result = run(...common);
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('rank'));
    expect(lines[header]!.split(/\s{2,}/)).toEqual([
      'rank',
      'contestant',
      'optimizer',
      'options',
      'params',
      'loss',
    ]);
    const rows = lines.slice(header + 1, header + 4).map((line) => line.split(/\s{2,}/));
    expect(rows).toEqual(
      json.map((line) => [
        String(line.rank),
        line.contestant,
        line.optimizer,
        Object.entries(line.options)
          .map(([key, value]) => `${key}=${value}`)
          .join(' '),
        line.params.map((p) => p.toFixed(4)).join(' '),
        line.loss.toFixed(6),
      ]),
    );
  });

  it('refuses bad contestants with a usage error naming the contestant and the option', () => {
    const bad = run('--race', 'adam,sgd:lr=-1', '--samples', '10');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/contestant "sgd".*lr must be a positive/);
    const unknown = run('--race', 'adam,adamm');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/"adamm" is not an optimizer/);
    expect(run('--race', 'adam', '--optimizer', 'sgd').status).toBe(2);
    expect(run('--race', Array(9).fill('adam').join(',')).status).toBe(2);
  });

  it('reports which contestant diverged and exits 1', () => {
    const result = run('--race', 'adam,sgd:lr=5', '--samples', '5000');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/contestant "sgd" diverged/);
  });
});

describe('parseRace', () => {
  it('names repeats, applies --lr unless the contestant sets lr, parses booleans', () => {
    expect(parseRace('sgd,sgd:lr=0.5:nesterov=true,adam', 0.03)).toEqual([
      { name: 'sgd', optimizer: 'sgd', options: { lr: 0.03 } },
      { name: 'sgd-2', optimizer: 'sgd', options: { lr: 0.5, nesterov: true } },
      { name: 'adam', optimizer: 'adam', options: { lr: 0.03 } },
    ]);
    expect(parseRace('sgd,adagrad', undefined).map((c) => c.options?.['lr'])).toEqual([0.001, 0.1]);
    expect(() => parseRace('adam,', undefined)).toThrow(/separated by commas/);
    expect(() => parseRace('sgd:lr', undefined)).toThrow(/key=value/);
    expect(() => parseRace('sgd:lr=abc', undefined)).toThrow(/key=value/);
  });
});
