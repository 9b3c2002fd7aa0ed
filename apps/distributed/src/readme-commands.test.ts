// The root README's distributed commands, run as a person pastes them, so the README
// cannot drift from what the commands do. Each `sh` block of the "Distributed mode"
// section is read line by line and every line is understood or the test fails:
//   - `pnpm adamflow ...` and `pnpm train ...` run the built scripts these pnpm
//     scripts end in (checked against the root package.json);
//   - the `nats-server` line is this test's own broker (a free port, a temporary
//     store), and `export ADAMFLOW_NATS_URL=...` points the commands at it;
//   - `--port 8081` becomes `--port 0` (the gateway says which port it got);
//   - `kill -9 $(pgrep -f 'PATTERN')` kills the process that pattern names (checked
//     to match it), at its first checkpoint: never another test's trainer;
//   - the crash and watch blocks run on a tenth of their sample counts, to keep the
//     test short; everything else is as written.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAMFLOW, TRAIN } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';
import { openViewer, type Viewer } from './testing/viewer.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The `sh` blocks of the README's distributed section, as lists of command lines. */
function distributedBlocks(): string[][] {
  const start = README.indexOf('## Distributed mode');
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) =>
    match[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/** Splits a command line into words (single and double quotes, no expansions). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** What `pnpm <script>` runs once built: the script's last `node FILE`. */
function scriptFile(script: string): string {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<
    string,
    string
  >;
  const found = /&& node (\S+)$/.exec(scripts[script] ?? '');
  if (!found) throw new Error(`package.json's "${script}" script does not end in "&& node FILE"`);
  return join(ROOT, found[1]!);
}

const SCALED = new Set(['--samples', '--until', '--checkpoint-samples']);

/** The argument list with sample counts divided by `divisor` and fixed ports made free. */
function adjust(args: string[], divisor: number): string[] {
  return args.map((word, i) => {
    const flag = args[i - 1] ?? '';
    if (SCALED.has(flag)) return String(Number(word) / divisor);
    if (flag === '--port') return '0';
    return word;
  });
}

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** The command line as `pgrep -f` sees it. */
  commandLine: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let server: NatsServerHandle;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await server?.dispose();
});

/** Starts one README line's command (without waiting for it). */
function start(line: string, divisor: number): Run {
  const [pnpm, script, ...rest] = words(line.replace(/\s*&$/, ''));
  if (pnpm !== 'pnpm' || (script !== 'adamflow' && script !== 'train')) {
    throw new Error(`the test does not know how to run this README line: ${line}`);
  }
  const file = scriptFile(script);
  expect(file).toBe(script === 'adamflow' ? ADAMFLOW : TRAIN);
  const args = adjust(rest, divisor);
  const child = spawn(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ADAMFLOW_NATS_URL: server.url },
  });
  running.add(child);
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    commandLine: [process.execPath, file, ...args].join(' '),
    exited: new Promise((resolve) =>
      child.once('close', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      }),
    ),
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    run.stdout += String(chunk);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    run.stderr += String(chunk);
  });
  return run;
}

/** Runs one README line's command to its end; it must exit 0. */
async function run(line: string, divisor = 1): Promise<Run> {
  const started = start(line, divisor);
  const end = await started.exited;
  if (end.code !== 0) {
    throw new Error(`"${line}" ended with ${end.code ?? end.signal}: ${started.stderr}`);
  }
  return started;
}

/** Resolves once `text()` matches `pattern` (checked as output arrives), or the process ends. */
function waitForOutput(target: Run, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(target.stdout + target.stderr)) {
        target.child.stdout!.off('data', check);
        target.child.stderr!.off('data', check);
        resolve();
      }
    };
    target.child.stdout!.on('data', check);
    target.child.stderr!.on('data', check);
    void target.exited.then(() =>
      reject(new Error(`ended before printing ${pattern}: ${target.stderr}`)),
    );
    check();
  });
}

/** The README's kill line, aimed at `target` once it has checkpointed. */
async function killAtFirstCheckpoint(line: string, target: Run): Promise<void> {
  const found = /^kill -9 \$\(pgrep -f '([^']+)'\)$/.exec(line);
  if (!found) throw new Error(`the test does not know how to run this README line: ${line}`);
  expect(target.commandLine).toContain(found[1]);
  await waitForOutput(target, /checkpoint at/);
  target.child.kill('SIGKILL');
  const end = await target.exited;
  expect(end.signal).toBe('SIGKILL');
  expect(target.stderr).not.toMatch(/done at/);
}

const paramsOf = (json: string) => (JSON.parse(json) as { params: number[] }).params;

describe("the README's distributed commands, pasted", () => {
  const blocks = distributedBlocks();

  it('has the four blocks this test runs', () => {
    expect(blocks.length).toBe(4);
    expect(blocks[0]![0]).toMatch(/^nats-server -js /);
    expect(blocks[0]![1]).toMatch(/^export ADAMFLOW_NATS_URL=nats:\/\//);
  });

  it('produce, trainer, inspect: the same params as `pnpm train`, bit for bit', async () => {
    const [, , produce, trainer, inspect, train, ...rest] = blocks[0]!;
    expect(rest).toEqual([]);
    await run(produce!);
    await run(trainer!);
    const inspected = await run(inspect!);
    const trained = await run(train!);
    const summary = JSON.parse(inspected.stdout) as { samples: number; step: number };
    expect([summary.samples, summary.step]).toEqual([200_000, 200_000]);
    expect(paramsOf(inspected.stdout)).toEqual(paramsOf(trained.stdout));
  });

  it('a trainer killed at a checkpoint resumes and ends bitwise equal to `pnpm train`', async () => {
    const [produce, trainer, kill, inspect, restart, train, ...rest] = blocks[1]!;
    expect(rest).toEqual([]);
    await run(produce!, 10);
    const first = start(trainer!, 10);
    await killAtFirstCheckpoint(kill!, first);
    const between = await run(inspect!);
    expect(between.stdout).toMatch(/samples/);
    await run(restart!, 10);
    const json = await run(`${inspect!} --json`);
    const trained = await run(train!, 10);
    expect(paramsOf(json.stdout)).toEqual(paramsOf(trained.stdout));
  });

  it('two gateways show the session through a trainer kill, the same frames, ending at `pnpm train`', async () => {
    const [produce, gatewayA, gatewayB, trainer, ...rest] = blocks[2]!;
    expect(rest).toEqual([]);
    await run(produce!, 10);
    const viewers: Viewer[] = [];
    for (const line of [gatewayA!, gatewayB!]) {
      const gateway = start(line, 10);
      await waitForOutput(gateway, /serving (http:\/\/\S+)\?session=NAME/);
      const url = /serving http(:\/\/\S+)\?session=NAME/.exec(gateway.stderr)![1]!;
      viewers.push(await openViewer(`ws${url}ws?session=live`));
    }
    const first = start(trainer!, 10);
    await killAtFirstCheckpoint("kill -9 $(pgrep -f 'dist/main.js trainer')", first);
    await run(trainer!, 10);
    const trained = await run('pnpm train --samples 500000 --seed 7 --json');
    const final = paramsOf(trained.stdout);
    const updates = (viewer: Viewer) =>
      viewer.texts.filter((_, i) => viewer.frames[i]!.type === 'params-update');
    for (const viewer of viewers) {
      await viewer.until(
        (frame) =>
          frame.type === 'params-update' &&
          JSON.stringify((frame as { params?: unknown }).params) === JSON.stringify(final),
      );
      const seqs = viewer.frames.filter((f) => f.type === 'params-update').map((f) => f.seq!);
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
    }
    const [a, b] = viewers.map(updates);
    expect(a!.at(-1)).toBe(b!.at(-1));
    for (const viewer of viewers) viewer.ws.terminate();
  });

  it('data parallel: two workers and a gradient trainer account for every sample message', async () => {
    const [produce, workerA, workerB, trainer, inspect, kill, ...rest] = blocks[3]!;
    expect(rest).toEqual([]);
    expect(kill).toBe('kill %1 %2');
    await run(produce!);
    const workers = [start(workerA!, 1), start(workerB!, 1)];
    await run(trainer!);
    const inspected = await run(inspect!);
    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of workers) expect((await worker.exited).code).toBe(0);
    const { samples, gradients } = JSON.parse(inspected.stdout) as {
      samples: number;
      gradients: { applied: number; stale: number; invalid: number; consumedSamples: number };
    };
    // One gradient per sample message (781 of 256 and one of 64), each applied or
    // counted; `samples` counts the applied ones' samples.
    expect(gradients.consumedSamples).toBe(200_000);
    expect(gradients.applied + gradients.stale + gradients.invalid).toBe(Math.ceil(200_000 / 256));
    expect(samples).toBeLessThanOrEqual(200_000);
    expect(samples).toBeGreaterThanOrEqual(200_000 - 256 * (gradients.stale + gradients.invalid));
    expect(gradients.applied).toBeGreaterThan(0);
  });
});
