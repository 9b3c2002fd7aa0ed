import { type OptimizerName, optimizerNames, optimizers } from '@adamflow/core';
import {
  type ContestantOptions,
  type ContestantSpec,
  createGenerator,
  MAX_CONTESTANTS,
  modelFor,
  Race,
  resolveSpec,
  type Standing,
} from '@adamflow/stream';
import { UsageError } from './args.js';
import { defaultLr, synthetic, type TrainOptions } from './options.js';

/** One line of the race's result (also what `--json` prints per contestant); `options` are those in effect. */
export interface RaceResult {
  contestant: string;
  optimizer: OptimizerName;
  options: ContestantOptions;
  params: number[];
  loss: number;
  steps: number;
  rank: number;
}

/**
 * Parses `--race`: contestants separated by commas, each an optimizer name followed by
 * `:key=value` options (numbers, or true/false), e.g. `adam,sgd:lr=0.05:momentum=0.9`.
 * Every contestant gets `lr` from its own options, else `--lr`, else the CLI's default
 * for that optimizer; the other options start from the registry's demo options. The
 * same optimizer twice is named `sgd`, `sgd-2`, ...
 *
 * @param text - the flag's value.
 * @param lr - `--lr`, when given.
 * @returns the contestants.
 * @throws UsageError with what to fix.
 */
export function parseRace(text: string, lr: number | undefined): ContestantSpec[] {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) {
    throw new UsageError(
      `--race takes optimizers separated by commas, e.g. adam,sgd:lr=0.05:momentum=0.9, got ${JSON.stringify(text)}`,
    );
  }
  if (entries.length > MAX_CONTESTANTS) {
    throw new UsageError(
      `--race takes at most ${MAX_CONTESTANTS} contestants, got ${entries.length}`,
    );
  }
  const seen = new Map<string, number>();
  return entries.map((entry) => {
    const [optimizer = '', ...pairs] = entry.split(':');
    if (!(optimizerNames as readonly string[]).includes(optimizer)) {
      throw new UsageError(
        `--race: ${JSON.stringify(optimizer)} is not an optimizer; choose from ${optimizerNames.join(', ')}`,
      );
    }
    const count = (seen.get(optimizer) ?? 0) + 1;
    seen.set(optimizer, count);
    const name = count === 1 ? optimizer : `${optimizer}-${count}`;
    const options: ContestantOptions = { lr: lr ?? defaultLr(optimizer as OptimizerName) };
    for (const pair of pairs) {
      const match = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/.exec(pair);
      const value = match ? parseValue(match[2]!) : undefined;
      if (!match || value === undefined) {
        throw new UsageError(
          `--race: contestant "${name}": options are key=value with a number or true/false (e.g. sgd:lr=0.05:momentum=0.9), got ${JSON.stringify(pair)}`,
        );
      }
      options[match[1]!] = value;
    }
    return { name, optimizer: optimizer as OptimizerName, options };
  });
}

function parseValue(text: string): number | boolean | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

/**
 * Builds the race from the command line: the synthetic-stream flags plus `--race`.
 * Bad contestants or options are usage errors (exit code 2).
 */
export function raceFromFlags(values: Record<string, string | boolean | undefined>): {
  options: TrainOptions;
  race: Race;
} {
  for (const flag of ['data', 'optimizer'] as const) {
    if (values[flag] !== undefined) {
      throw new UsageError(`--race picks the optimizers itself; drop --${flag}`);
    }
  }
  const options = synthetic(values);
  const contestants = parseRace(String(values['race']), options.lr);
  const generator = createGenerator(resolveSpec(options.source));
  try {
    const race = new Race({
      model: modelFor(options.source.kind, generator.features),
      contestants,
      batchSize: options.batch,
    });
    return { options, race };
  } catch (error) {
    throw new UsageError(`--race: ${(error as Error).message.replace(/^race: /, '')}`);
  }
}

/**
 * Runs the race over `options.samples` samples of the source.
 *
 * @returns one result per contestant, by rank.
 */
export function runRace(options: TrainOptions, race: Race): RaceResult[] {
  const generator = createGenerator(resolveSpec(options.source));
  for (let i = 0; i < options.samples; i++) {
    try {
      race.learn(generator.next());
    } catch (error) {
      const contestant = (error as { contestant?: string }).contestant;
      if ((error as { code?: unknown }).code === 'ADAMFLOW_ERR_NON_FINITE_GRADIENT' && contestant) {
        (error as Error).message =
          `contestant "${contestant}" diverged after ${i} samples: the gradient is no longer finite; lower its lr (e.g. ${contestant.replace(/-\d+$/, '')}:lr=0.001)`;
      }
      throw error;
    }
  }
  return race.leaderboard().map((standing: Standing) => ({
    contestant: standing.name,
    optimizer: standing.optimizer,
    // The options in effect: the registry's demo options under the contestant's own.
    options: { ...optimizers[standing.optimizer].demoOptions, ...race.get(standing.name)!.options },
    params: standing.params,
    loss: standing.loss,
    steps: standing.steps,
    rank: standing.rank,
  }));
}

/**
 * Formats the results as a table, one contestant per row, by rank.
 *
 * @param results - from {@link runRace}.
 * @returns the lines.
 */
export function raceTable(results: readonly RaceResult[]): string[] {
  const rows = [
    ['rank', 'contestant', 'optimizer', 'options', 'params', 'loss'],
    ...results.map((result) => [
      String(result.rank),
      result.contestant,
      result.optimizer,
      Object.entries(result.options)
        .map(([key, value]) => `${key}=${value}`)
        .join(' '),
      result.params.map((p) => p.toFixed(4)).join(' '),
      result.loss.toFixed(6),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
}

/** `--race A,B,...`: the race on the synthetic stream, then the table or JSON lines. */
export function mainRace(values: Record<string, string | boolean | undefined>): void {
  const { options, race } = raceFromFlags(values);
  const started = performance.now();
  const results = runRace(options, race);
  if (options.json) {
    for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `race of ${results.length} on the ${options.sourceName} stream, seed ${options.seed}, batch ${options.batch}, ${options.samples.toLocaleString('en')} samples in ${seconds.toFixed(2)} s`,
  );
  for (const line of raceTable(results)) console.log(line);
  console.log('loss: debiased EMA of the prequential loss; params: bias first');
}
