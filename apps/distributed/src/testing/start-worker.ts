// Starts `adamflow worker` processes for the tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { ADAMFLOW, type CommandResult } from './run-command.js';

/** A running worker process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the process has ended. */
  exited: Promise<CommandResult>;
}

/**
 * Starts `adamflow worker --json` with the given flags.
 *
 * @param args - flags after `worker --json`.
 * @returns the process.
 * @example
 * ```ts
 * import { startWorker } from './start-worker.js';
 * const worker = startWorker(['--nats', 'nats://127.0.0.1:4222', '--session', 'demo']);
 * worker.child.kill('SIGTERM');
 * await worker.exited;
 * ```
 */
export function startWorker(args: string[]): WorkerProcess {
  const env = { ...process.env };
  delete env['ADAMFLOW_NATS_URL'];
  const child = spawn(process.execPath, [ADAMFLOW, 'worker', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<CommandResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited };
}
