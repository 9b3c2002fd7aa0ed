// Test helper: the built server in a child process, so a test can tell "answered with
// an error" from "the process died", lower the child's file-descriptor limit, and read
// everything it logged. Commands on stdin: `exhaust` opens files until EMFILE (answers
// `exhausted N` on stdout), `release` closes them again (answers `released`).
import { type ChildProcess, spawn } from 'node:child_process';
import type { DashboardServerOptions } from './server.js';

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  wsUrl: string;
  /** Everything the server logged so far (one line per log call). */
  log(): string;
  /** Sends a line to the child and resolves with its first answer line starting with `reply`. */
  ask(command: 'exhaust' | 'release', reply: string): Promise<string>;
  /** Whether the process is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

// CommonJS with an async body: an --input-type flag would be inherited by the trainer worker.
const CHILD = `(async () => {
const { openSync, closeSync } = require('node:fs');
const [serverUrl, json] = process.argv.slice(1);
const { startDashboardServer } = await import(serverUrl);
const server = await startDashboardServer({
  ...JSON.parse(json),
  log: (line) => process.stderr.write(line + '\\n'),
});
process.stdout.write('port ' + server.port + '\\n');
const held = [];
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  for (const command of text.split('\\n')) {
    if (command === 'exhaust') {
      try { for (;;) held.push(openSync('/dev/null', 'r')); }
      catch (error) { process.stdout.write('exhausted ' + held.length + ' ' + error.code + '\\n'); }
    } else if (command === 'release') {
      while (held.length > 0) closeSync(held.pop());
      process.stdout.write('released\\n');
    }
  }
});
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
})();
`;

/**
 * Starts `dist/server.js` in a child process with `options` (JSON-safe ones only).
 * `maxFiles` lowers the child's descriptor limit (`ulimit -n`).
 */
export function startServerProcess(
  options: DashboardServerOptions,
  maxFiles?: number,
): Promise<ServerProcess> {
  const serverUrl = new URL('../dist/server.js', import.meta.url).href;
  const node = [process.execPath, '-e', CHILD, serverUrl];
  const child = maxFiles
    ? spawn(
        'sh',
        ['-c', `ulimit -n ${maxFiles} && exec "$@"`, 'sh', ...node, JSON.stringify(options)],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      )
    : spawn(node[0]!, [...node.slice(1), JSON.stringify(options)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  const waitFor = (prefix: string, from: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = out
          .slice(from)
          .split('\n')
          .find((l) => l.startsWith(prefix));
        if (line === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`server process: no "${prefix}" within 90 s; stderr: ${err.slice(-500)}`));
      }, 90_000);
      waiters.add(check);
      check();
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test that fails before stop() must not leave a server running after the run.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const started = waitFor('port ', 0).catch((error: unknown) => {
    reap();
    throw error;
  });
  return started.then((line) => {
    const port = Number(line.slice(5));
    return {
      child,
      port,
      url: `http://127.0.0.1:${port}/`,
      wsUrl: `ws://127.0.0.1:${port}/ws`,
      log: () => err,
      ask(command, reply) {
        const mark = out.length;
        child.stdin!.write(`${command}\n`);
        return waitFor(reply, mark);
      },
      alive: () => child.exitCode === null && child.signalCode === null,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
      },
    };
  });
}
