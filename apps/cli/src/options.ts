import { parseArgs } from 'node:util';
import { type OptimizerName, optimizerNames } from '@adamflow/core';
import {
  driftSpec,
  linearSpec,
  logisticSpec,
  multilinearSpec,
  type SourceSpec,
} from '@adamflow/stream';

/** The validated command line. */
export interface TrainOptions {
  samples: number;
  seed: number;
  lr: number | undefined;
  optimizer: OptimizerName;
  source: SourceSpec;
  batch: number;
  json: boolean;
  help: boolean;
}

export const SOURCES = ['linear', 'multilinear', 'logistic', 'drift'] as const;

export const USAGE = `Usage: adamflow-train [options]

Trains a model per sample on a seeded synthetic stream and prints the result.

  --samples N        samples to train on (default 200000)
  --seed S           PRNG seed, an integer (default 42)
  --lr LR            learning rate (default: 0.01; 0.001 for sgd, 0.1 for adagrad, 1 for adadelta)
  --optimizer NAME   ${optimizerNames.join(' | ')} (default adam)
  --source NAME      ${SOURCES.join(' | ')} (default linear: y = 4 + 3x + N(0, 1))
  --batch K          samples averaged per optimizer step (default 1)
  --json             print one JSON line on stdout and nothing else there
  -h, --help         this text
`;

/** A usage error: the CLI prints its message and exits with code 2. */
export class UsageError extends Error {}

/**
 * Parses and validates argv (without node and the script).
 *
 * @param argv - the arguments.
 * @returns the options.
 * @throws UsageError with a message that says how to fix the flag.
 */
export function parseOptions(argv: string[]): TrainOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        samples: { type: 'string' },
        seed: { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        source: { type: 'string' },
        batch: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const integer = (name: string, fallback: number, min: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    }
    return n;
  };
  const optimizer = (values['optimizer'] ?? 'adam') as string;
  if (!(optimizerNames as readonly string[]).includes(optimizer)) {
    throw new UsageError(
      `--optimizer must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(optimizer)}`,
    );
  }
  const sourceName = (values['source'] ?? 'linear') as string;
  if (!(SOURCES as readonly string[]).includes(sourceName)) {
    throw new UsageError(
      `--source must be one of ${SOURCES.join(', ')}, got ${JSON.stringify(sourceName)}`,
    );
  }
  let lr: number | undefined;
  if (values['lr'] !== undefined) {
    lr = Number(values['lr']);
    if (!(Number.isFinite(lr) && lr > 0)) {
      throw new UsageError(`--lr must be a positive number, got ${JSON.stringify(values['lr'])}`);
    }
  }
  const seed = integer('seed', 42, Number.MIN_SAFE_INTEGER);
  const source = {
    linear: () => linearSpec({ seed }),
    multilinear: () => multilinearSpec({ seed }),
    logistic: () => logisticSpec({ seed }),
    drift: () => driftSpec({ seed, positions: [50_000], width: 2_000 }),
  }[sourceName as (typeof SOURCES)[number]]();
  return {
    samples: integer('samples', 200_000, 1),
    seed,
    lr,
    optimizer: optimizer as OptimizerName,
    source,
    batch: integer('batch', 1, 1),
    json: values['json'] === true,
    help: values['help'] === true,
  };
}

// Adagrad's rate shrinks as 1/sqrt(steps) on its own; Adadelta's lr scales a step that
// is already unit-corrected, PyTorch's default being 1.
const DEFAULT_LR: Partial<Record<OptimizerName, number>> = {
  sgd: 0.001,
  adagrad: 0.1,
  adadelta: 1,
};

/** The per-sample learning rates the CLI uses unless told otherwise. */
export function defaultLr(optimizer: OptimizerName): number {
  return DEFAULT_LR[optimizer] ?? 0.01;
}
