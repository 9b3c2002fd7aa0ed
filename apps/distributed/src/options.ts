import { parseArgs } from 'node:util';
import { type OptimizerName, optimizerNames } from '@adamflow/core';
import {
  defaultLr,
  findSource,
  type SourceSpec,
  sourceAliases,
  sourceCatalogue,
  sourceNames,
} from '@adamflow/stream';
import type { GradientModelChoice } from './gradient-model.js';
import { SESSION_PATTERN } from './session-names.js';

/** A usage error: the command prints its message and exits with code 2. */
export class UsageError extends Error {}

/** The commands. */
export const COMMANDS = ['produce', 'trainer', 'worker', 'gateway', 'inspect'] as const;

/** Sources: the catalogue's names, then its aliases (`linear` is `seed`, as in `pnpm train`). */
export const SOURCES: readonly string[] = [...sourceNames, ...Object.keys(sourceAliases)];

export const USAGE = `Usage: adamflow <command> [options]   (every command: --nats URL, or ADAMFLOW_NATS_URL)

  produce  --session NAME [--source seed] [--seed S] [--samples N] [--batch-samples K] [--replicas R]
           puts the first N samples of a seeded source into the session's stream (idempotent)
  trainer  --session NAME [--optimizer adam] [--lr LR] [--batch B] [--until N]
           [--checkpoint-samples K] [--checkpoint-ms T] [--update-every M] [--lease-ms L]
           [--on-held wait|exit] [--reader thread|inline] [--json]
           trains on the session's stream, checkpointing to KV; resumes exactly after a crash;
           reads the stream on the training thread (--reader thread: in a worker thread);
           publishes params on adamflow.updates.NAME after every M input messages (0: none)
  trainer  --gradients --session NAME [--max-staleness K] [--optimizer adam] [--lr LR] [--until N]
           [MODEL] ...
           trains from the session's gradient stream (data parallel, fed by workers), rejecting
           and counting gradients more than K steps stale (default 8); replays bitwise from it
  worker   --session NAME [--ahead A] [MODEL] [--json]
           computes gradients of the session's samples (shared among all its workers) at the
           latest params, into adamflow.gradients.NAME; at most A per update seen (default 1)

  MODEL    [--model source|mlp] [--hidden W1,W2,..] [--activation tanh|relu] [--model-seed S]
           the gradient session's model: the source's own (default) or an MLP on its features
           (default --hidden 32, tanh, seed 0; --hidden 300,300 on seed has 91,201 parameters);
           the first trainer or worker records it, the others must pass the same
  inspect  --session NAME [--json]
           prints {"samples":N,"step":S,"params":[...]} from the session's checkpoint
  gateway  --port P [--host H] [--ring R] [--max-sessions S]
           serves the dashboard for any session: http://H:P/?session=NAME (env:
           ADAMFLOW_CONTROL_TOKEN for commands, ADAMFLOW_ALLOWED_ORIGINS)

Sources (default seed, the same streams as pnpm train's --source):
${sourceCatalogue.map((source) => `  ${source.name.padEnd(12)} ${source.description}\n`).join('')}${Object.entries(
  sourceAliases,
)
  .map(([alias, name]) => `  ${alias.padEnd(12)} another name for ${name}\n`)
  .join(
    '',
  )}Optimizers: ${optimizerNames.join(' | ')} (default adam; default lr as pnpm train's: 0.01, 0.001 for sgd, 0.1 for adagrad, 1 for adadelta).
`;

/** Options every command shares. */
export interface CommonOptions {
  nats: string;
  help: boolean;
}

/** `adamflow produce`. */
export interface ProduceCommand extends CommonOptions {
  command: 'produce';
  session: string;
  spec: SourceSpec;
  samples: number;
  batchSamples: number;
  /** Replicas of the session's stream when produce creates it (a NATS cluster has them). */
  replicas: number;
  json: boolean;
}

/** `adamflow trainer`. */
export interface TrainerCommand extends CommonOptions {
  command: 'trainer';
  session: string;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  until: number | undefined;
  checkpointSamples: number;
  checkpointMs: number;
  updateEvery: number;
  leaseMs: number;
  onHeld: 'wait' | 'exit';
  /** Where the sample stream is read: a worker thread, or the training thread. */
  reader: 'thread' | 'inline';
  json: boolean;
  /** Train from the session's gradient stream rather than its samples. */
  gradients: boolean;
  /** Gradient mode: reject gradients computed more than this many steps ago. */
  maxStaleness: number;
  /** Gradient mode: the model. */
  model: GradientModelChoice;
}

/** `adamflow worker`. */
export interface WorkerCommand extends CommonOptions {
  command: 'worker';
  session: string;
  ahead: number;
  model: GradientModelChoice;
  json: boolean;
}

/** `adamflow inspect`. */
export interface InspectCommand extends CommonOptions {
  command: 'inspect';
  session: string;
  json: boolean;
}

/** `adamflow gateway`. */
export interface GatewayCommand extends CommonOptions {
  command: 'gateway';
  port: number;
  host: string;
  /** Recent frames kept per session for viewers that reconnect. */
  ring: number;
  maxSessions: number;
  /** Commands need it when set (from ADAMFLOW_CONTROL_TOKEN). */
  token: string | undefined;
  allowedOrigins: string[];
}

/** Any parsed command. */
export type Command =
  | ProduceCommand
  | TrainerCommand
  | WorkerCommand
  | InspectCommand
  | GatewayCommand;

const MODEL_FLAGS = ['model', 'hidden', 'activation', 'model-seed'] as const;

const FLAGS = {
  produce: ['session', 'source', 'seed', 'samples', 'batch-samples', 'replicas', 'json'],
  trainer: [
    'session',
    'optimizer',
    'lr',
    'batch',
    'until',
    'checkpoint-samples',
    'checkpoint-ms',
    'update-every',
    'lease-ms',
    'on-held',
    'reader',
    'json',
    'gradients',
    'max-staleness',
    ...MODEL_FLAGS,
  ],
  worker: ['session', 'ahead', 'json', ...MODEL_FLAGS],
  inspect: ['session', 'json'],
  gateway: ['port', 'host', 'ring', 'max-sessions'],
} as const;

const BOOLEAN = new Set(['json', 'help', 'gradients']);

/**
 * Parses and validates argv (without node and the script).
 *
 * @param argv - the arguments, command first.
 * @param env - the environment (for `ADAMFLOW_NATS_URL`).
 * @returns the command.
 * @throws UsageError whose message says which flag was wrong and what to pass.
 * @example
 * ```ts
 * import { parseCommand } from './options.js';
 * parseCommand(['inspect', '--nats', 'nats://127.0.0.1:4222', '--session', 'demo', '--json'], {});
 * ```
 */
export function parseCommand(argv: string[], env: Record<string, string | undefined>): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    return { command: 'inspect', nats: '', session: '', json: false, help: true };
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(
      `unknown command ${JSON.stringify(command)}; use one of ${COMMANDS.join(', ')}`,
    );
  }
  const name = command as (typeof COMMANDS)[number];
  const names = ['nats', 'help', ...FLAGS[name]];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: Object.fromEntries(
        names.map((flag) => [
          flag,
          BOOLEAN.has(flag)
            ? { type: 'boolean' as const, ...(flag === 'help' ? { short: 'h' } : {}) }
            : { type: 'string' as const },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
  const help = values['help'] === true;
  const nats = (values['nats'] as string | undefined) ?? env['ADAMFLOW_NATS_URL'] ?? '';
  if (!help && !/^(nats|tls|ws|wss):\/\/[^\s]+$|^[^\s:/]+:\d+$/.test(nats.split(',')[0] ?? '')) {
    throw new UsageError(
      nats === ''
        ? `${name}: --nats URL is required (e.g. --nats nats://127.0.0.1:4222), or set ADAMFLOW_NATS_URL`
        : `${name}: --nats must be a NATS URL like nats://127.0.0.1:4222, got ${JSON.stringify(nats)}`,
    );
  }
  const read = new Reader(name, values);
  const common = { nats, help };
  switch (name) {
    case 'produce': {
      const seed = read.integer('seed', 42, Number.MIN_SAFE_INTEGER);
      const source = read.choice('source', SOURCES, 'seed');
      // choice() accepted it, so the catalogue has it.
      const spec = findSource(source)!.spec(seed);
      return {
        command: name,
        ...common,
        session: read.session(help),
        spec,
        samples: read.integer('samples', 200_000, 0),
        batchSamples: read.integer('batch-samples', 256, 1, 65_536),
        replicas: read.integer('replicas', 1, 1, 5),
        json: values['json'] === true,
      };
    }
    case 'trainer': {
      const optimizer = read.choice('optimizer', optimizerNames, 'adam');
      const until = values['until'] === undefined ? undefined : read.integer('until', 0, 0);
      return {
        command: name,
        ...common,
        session: read.session(help),
        optimizer,
        lr: read.positive('lr', defaultLr(optimizer)),
        batchSize: read.integer('batch', 1, 1),
        until,
        checkpointSamples: read.integer('checkpoint-samples', 65_536, 1),
        checkpointMs: read.integer('checkpoint-ms', 1000, 10),
        updateEvery: read.integer('update-every', 4, 0),
        leaseMs: read.integer('lease-ms', 5000, 100),
        onHeld: read.choice('on-held', ['wait', 'exit'] as const, 'wait'),
        reader: read.choice('reader', ['inline', 'thread'] as const, 'inline'),
        json: values['json'] === true,
        gradients: values['gradients'] === true,
        maxStaleness: read.integer('max-staleness', 8, 0),
        model: read.model(values['gradients'] === true),
      };
    }
    case 'worker':
      return {
        command: name,
        ...common,
        session: read.session(help),
        ahead: read.integer('ahead', 1, 1, 1024),
        model: read.model(true),
        json: values['json'] === true,
      };
    case 'inspect':
      return {
        command: name,
        ...common,
        session: read.session(help),
        json: values['json'] === true,
      };
    case 'gateway':
      return {
        command: name,
        ...common,
        port: read.integer('port', 8080, 0, 65_535),
        host: (values['host'] as string | undefined) ?? '127.0.0.1',
        ring: read.integer('ring', 1024, 1, 1_000_000),
        maxSessions: read.integer('max-sessions', 64, 1, 100_000),
        token: env['ADAMFLOW_CONTROL_TOKEN'] || undefined,
        allowedOrigins: (env['ADAMFLOW_ALLOWED_ORIGINS'] ?? '').split(',').filter(Boolean),
      };
  }
}

/** Reads one command's flags, each failure a UsageError naming the flag. */
class Reader {
  constructor(
    private readonly command: string,
    private readonly values: Record<string, string | boolean | undefined>,
  ) {}

  session(help: boolean): string {
    const text = this.values['session'];
    if (help) return '';
    if (typeof text !== 'string') {
      throw new UsageError(`${this.command}: --session NAME is required`);
    }
    if (!SESSION_PATTERN.test(text)) {
      throw new UsageError(
        `${this.command}: --session must be 1 to 64 letters, digits, '-' or '_', got ${JSON.stringify(text)}`,
      );
    }
    return text;
  }

  integer(flag: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const text = this.values[flag];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (
      typeof text !== 'string' ||
      text.trim() === '' ||
      !Number.isSafeInteger(n) ||
      n < min ||
      n > max
    ) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
      throw new UsageError(
        `${this.command}: --${flag} must be an integer ${range}, got ${JSON.stringify(text)}`,
      );
    }
    return n;
  }

  positive(flag: string, fallback: number): number {
    const text = this.values[flag];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !(Number.isFinite(n) && n > 0)) {
      throw new UsageError(
        `${this.command}: --${flag} must be a positive number, got ${JSON.stringify(text)}`,
      );
    }
    return n;
  }

  /** The model flags; `allowed` false (a sample-mode trainer) refuses them. */
  model(allowed: boolean): GradientModelChoice {
    const given = MODEL_FLAGS.filter((flag) => this.values[flag] !== undefined);
    if (!allowed && given.length > 0) {
      throw new UsageError(
        `${this.command}: --${given[0]} is for gradient sessions (trainer --gradients and worker); a trainer on samples trains the source's own model`,
      );
    }
    const kind = this.choice('model', ['source', 'mlp'] as const, 'source');
    if (kind === 'source') {
      const extra = given.find((flag) => flag !== 'model');
      if (extra !== undefined) {
        throw new UsageError(`${this.command}: --${extra} is for --model mlp, not --model source`);
      }
      return { kind };
    }
    const text = this.values['hidden'] ?? '32';
    const widths = typeof text === 'string' ? text.split(',').map((width) => width.trim()) : [];
    if (!widths.length || !widths.every((width) => /^\d+$/.test(width) && Number(width) >= 1)) {
      throw new UsageError(
        `${this.command}: --hidden takes the hidden layers' widths, positive integers separated by commas (e.g. 32 or 300,300), got ${JSON.stringify(text)}`,
      );
    }
    return {
      kind,
      hidden: widths.map(Number),
      activation: this.choice('activation', ['tanh', 'relu'] as const, 'tanh'),
      seed: this.integer('model-seed', 0, 0, 0xffffffff),
    };
  }

  choice<T extends string>(flag: string, choices: readonly T[], fallback: T): T {
    const text = this.values[flag] ?? fallback;
    if (typeof text !== 'string' || !(choices as readonly string[]).includes(text)) {
      throw new UsageError(
        `${this.command}: --${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`,
      );
    }
    return text as T;
  }
}
