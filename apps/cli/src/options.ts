import { type OptimizerName, optimizerNames } from '@adamflow/core';
import {
  findSource,
  type SourceName,
  type SourceSpec,
  sourceAliases,
  sourceCatalogue,
  sourceNames,
} from '@adamflow/stream';
import { type FlagSpec, integerFlag, parseFlags, positiveFlag, UsageError } from './args.js';
import { MODELS } from './models.js';

/** The validated command line. */
export interface TrainOptions {
  samples: number;
  seed: number;
  lr: number | undefined;
  optimizer: OptimizerName;
  source: SourceSpec;
  /** The catalogue's name of the source (`seed` for `--source linear`). */
  sourceName: SourceName;
  batch: number;
  json: boolean;
  help: boolean;
}

/** The names --source accepts: the catalogue's, then its aliases. */
export const SOURCES: readonly string[] = [...sourceNames, ...Object.keys(sourceAliases)];

/** The seed's range: the generator uses 32 bits of it, so larger seeds would repeat runs. */
export const SEED_MAX = 2 ** 32 - 1;

export const USAGE = `Usage: adamflow-train [options]                       (a seeded synthetic stream)
       adamflow-train --data FILE.csv[.gz] --target COLUMN [options]   (your data)

Trains a model per sample and prints the result.

Synthetic streams:
  --samples N        samples to train on (default 200000)
  --seed S           PRNG seed, an integer in [0, ${SEED_MAX}] (default 42)
  --lr LR            learning rate (default: 0.01; 0.001 for sgd, 0.1 for adagrad, 1 for adadelta)
  --optimizer NAME   ${optimizerNames.join(' | ')} (default adam, with the registry's demo options)
  --source NAME      the stream (default seed):
${sourceHelp()}  --batch K          samples averaged per optimizer step (default 1)
  --race A,B,...     race optimizers on the same samples instead of --optimizer: up to 8,
                     each NAME[:key=value...], e.g. adam,rmsprop,sgd:lr=0.05:momentum=0.9
                     (lr from the contestant, else --lr, else the default above; other
                     options over the registry's demo options); prints a table by rolling
                     loss, or with --json one line per contestant

Your data (progressive validation: each row is scored, then learned):
  --data FILE        a CSV file with a header row (.gz is read transparently)
  --target COLUMN    the column to predict
  --model NAME       the model (default linear):
${Object.entries(MODELS)
  .map(([name, entry]) => `                       ${name.padEnd(9)} ${entry.help}\n`)
  .join(
    '',
  )}  --classes K        softmax, mlp --task classification: the number of classes, an integer
                     >= 2 (required for softmax; default 2 for mlp). Labels become classes
                     0 .. K-1 in the order they first appear; a (K+1)th label stops the run.
                     mlp with K = 2 has one sigmoid output, P(class 1), as logistic has
  --hidden W,W       mlp: hidden layer widths, input side first (default 32)
  --activation A     mlp: tanh | relu on the hidden layers (default tanh)
  --task T           mlp: regression (squared error) | classification (default regression)
  --seed S           mlp: seed of the initial weights, an integer in [0, ${SEED_MAX}] (default 42)
  --target-type T    number | boolean | category (default: number for a regression,
                     boolean for two classes, category for K classes)
  --categorical A,B  text columns to one-hot encode (before scaling)
  --max-categories K categories per one-hot column (default 16)
  --scale NAME       standard | minmax: scale the features online first (default none)
  --optimizer NAME   ${optimizerNames.join(' | ')} (default adam), with its library defaults
                     (sgd is plain SGD) and --lr
  --lr LR            learning rate (default: 0.01; 0.001 for sgd, 0.1 for adagrad, 1 for adadelta)
  --optimizer-options K=V,K=V
                     the optimizer's other options, e.g. beta2=0.99 or, to step as River
                     does, epsPlacement=epsilon-hat (adam, amsgrad), epsPlacement=outside-max
                     (adamax), alpha=0.9,epsPlacement=inside-sqrt (rmsprop), rho=0.95 (adadelta)
  --intercept-lr X   step the intercept apart by plain SGD at X (River's GLM)
  --metrics A,B      for a regression mae,mse,rmse,r2 (default mae,rmse,r2; mae,rmse for
                     poisson); for two classes accuracy,precision,recall,f1,macro-f1,logloss,
                     rocauc (exact), rocauc-binned (River's 10-threshold approximation)
                     (default accuracy,logloss,rocauc); for K classes accuracy,macro-f1,
                     logloss (the default)
  --skip-bad-rows    skip and count bad rows instead of stopping at the first
  --limit N          stop after N rows (e.g. to checkpoint part way)
  --checkpoint FILE  write a checkpoint (pipeline, optimizer, metrics, position) at the end
  --resume FILE      continue from a checkpoint, at its row of --data
  --every N          progress report interval in rows (default 1000)

  --json             print one JSON line on stdout and nothing else there
  -h, --help         this text

Divergence (non-finite parameters or gradients, or a loss that ends above 1000x the
lowest it reached) is reported and exits with code 1.
`;

export { UsageError };

/** Every flag of adamflow-train. */
export const TRAIN_FLAGS: FlagSpec = {
  samples: { type: 'string' },
  seed: { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  source: { type: 'string' },
  batch: { type: 'string' },
  race: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  data: { type: 'string' },
  target: { type: 'string' },
  model: { type: 'string' },
  'target-type': { type: 'string' },
  categorical: { type: 'string' },
  'max-categories': { type: 'string' },
  classes: { type: 'string' },
  hidden: { type: 'string' },
  activation: { type: 'string' },
  task: { type: 'string' },
  scale: { type: 'string' },
  'intercept-lr': { type: 'string' },
  'optimizer-options': { type: 'string' },
  metrics: { type: 'string' },
  'skip-bad-rows': { type: 'boolean' },
  limit: { type: 'string' },
  checkpoint: { type: 'string' },
  resume: { type: 'string' },
  every: { type: 'string' },
};

/**
 * Parses and validates argv (without node and the script).
 *
 * @param argv - the arguments.
 * @returns the options.
 * @throws UsageError with a message that says how to fix the flag.
 */
export function parseOptions(argv: string[]): TrainOptions {
  return synthetic(parseFlags(argv, TRAIN_FLAGS));
}

/**
 * Validates the synthetic-stream flags.
 *
 * @param values - parsed flags.
 * @returns the options.
 */
export function synthetic(values: Record<string, string | boolean | undefined>): TrainOptions {
  const integer = (name: string, fallback: number, min: number, max?: number): number =>
    integerFlag(values, name, fallback, min, max);
  for (const name of DATA_ONLY) {
    if (values[name] !== undefined) throw new UsageError(`--${name} needs --data FILE`);
  }
  const optimizer = (values['optimizer'] ?? 'adam') as string;
  if (!(optimizerNames as readonly string[]).includes(optimizer)) {
    throw new UsageError(
      `--optimizer must be one of ${optimizerNames.join(', ')}, got ${JSON.stringify(optimizer)}`,
    );
  }
  const sourceFlag = (values['source'] ?? 'seed') as string;
  const catalogued = findSource(sourceFlag);
  if (catalogued === undefined) {
    throw new UsageError(
      `--source must be one of ${SOURCES.join(', ')}, got ${JSON.stringify(sourceFlag)}`,
    );
  }
  const lr = positiveFlag(values, 'lr');
  const seed = integer('seed', 42, 0, SEED_MAX);
  return {
    samples: integer('samples', 200_000, 1),
    seed,
    lr,
    optimizer: optimizer as OptimizerName,
    source: catalogued.spec(seed),
    sourceName: catalogued.name,
    batch: integer('batch', 1, 1),
    json: values['json'] === true,
    help: values['help'] === true,
  };
}

/** The --help lines of the sources: the catalogue's descriptions, wrapped, and the aliases. */
function sourceHelp(): string {
  const indent = ' '.repeat(23);
  const lines = sourceCatalogue.flatMap((source) =>
    wrap(source.description, 64).map(
      (line, i) => `${indent}${(i === 0 ? source.name : '').padEnd(12)} ${line}`,
    ),
  );
  for (const [alias, name] of Object.entries(sourceAliases)) {
    lines.push(`${indent}${alias.padEnd(12)} another name for ${name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Splits a text at spaces into lines of at most `width` characters (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Flags that only make sense with --data. */
const DATA_ONLY = [
  'target',
  'model',
  'target-type',
  'categorical',
  'max-categories',
  'classes',
  'hidden',
  'activation',
  'task',
  'scale',
  'intercept-lr',
  'optimizer-options',
  'metrics',
  'skip-bad-rows',
  'limit',
  'checkpoint',
  'resume',
  'every',
];

/** The per-sample learning rates used unless told otherwise (shared with the distributed trainer). */
export { defaultLr } from '@adamflow/stream';
