// Runs the built commands as a person would (node dist/main.js ...), for the tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The built `adamflow` command. */
export const ADAMFLOW = join(here, '../../dist/main.js');
/** The built `pnpm train` command. */
export const TRAIN = join(here, '../../../cli/dist/main.js');

/** How a finished command ended. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a script with node and collects its output.
 *
 * @param script - the script path.
 * @param args - its arguments.
 * @returns exit code, signal and output.
 * @example
 * ```ts
 * import { ADAMFLOW, runNode } from './run-command.js';
 * const { code } = await runNode(ADAMFLOW, ['--help']);
 * ```
 */
export function runNode(script: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: withoutNatsUrl(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A running trainer whose JSON events are read line by line. */
export interface TrainerProcess {
  child: ChildProcess;
  /** Every event so far. */
  events: Array<Record<string, unknown>>;
  /** Resolves with the first event that matches (rejects if the process ends first). */
  waitFor(match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves when the process has ended. */
  exited: Promise<CommandResult>;
}

/**
 * Starts `adamflow trainer --json` with the given flags.
 *
 * @param args - flags after `trainer --json`.
 * @returns the process and its events.
 * @example
 * ```ts
 * import { startTrainer } from './run-command.js';
 * const trainer = startTrainer(['--nats', 'nats://127.0.0.1:4222', '--session', 'demo']);
 * await trainer.waitFor((event) => event['event'] === 'lease-acquired');
 * ```
 */
export function startTrainer(args: string[]): TrainerProcess {
  const child = spawn(process.execPath, [ADAMFLOW, 'trainer', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: withoutNatsUrl(),
  });
  const events: Array<Record<string, unknown>> = [];
  const waiters = new Set<{
    match: (event: Record<string, unknown>) => boolean;
    resolve: (event: Record<string, unknown>) => void;
  }>();
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout += `${line}\n`;
    const event = JSON.parse(line) as Record<string, unknown>;
    events.push(event);
    for (const waiter of waiters) {
      if (waiter.match(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  const exited = new Promise<CommandResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    events,
    exited,
    waitFor(match) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.add({ match, resolve });
        void exited.then((end) =>
          reject(
            new Error(
              `trainer ended (${end.code ?? end.signal}) before the awaited event: ${end.stderr}`,
            ),
          ),
        );
      });
    },
  };
}

function withoutNatsUrl(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['ADAMFLOW_NATS_URL'];
  return env;
}
