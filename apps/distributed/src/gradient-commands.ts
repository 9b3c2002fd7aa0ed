import { runGradientTrainer } from './gradient-trainer.js';
import type { NatsContext } from './nats-context.js';
import type { TrainerCommand, WorkerCommand } from './options.js';
import { runWorker, type WorkerEvent } from './worker.js';

/**
 * `adamflow trainer --gradients`: trains from the session's gradient stream until
 * `--until` samples' gradients are consumed or a signal stops it; one JSON line per
 * event with `--json`, sentences on stderr otherwise.
 *
 * @param command - the parsed command.
 * @param nats - an open context.
 * @returns the exit code.
 * @example
 * ```ts
 * import { runGradientMode } from './gradient-commands.js';
 * import { openNats } from './nats-context.js';
 * import { parseCommand, type TrainerCommand } from './options.js';
 * const command = parseCommand(['trainer', '--gradients', '--nats', 'nats://127.0.0.1:4222', '--session', 'demo'], {});
 * await runGradientMode(command as TrainerCommand, await openNats({ url: command.nats, name: 'adamflow-trainer' }));
 * ```
 */
export async function runGradientMode(command: TrainerCommand, nats: NatsContext): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const end = await runGradientTrainer(nats, {
    session: command.session,
    optimizer: command.optimizer,
    lr: command.lr,
    maxStaleness: command.maxStaleness,
    model: command.model,
    ...(command.until === undefined ? {} : { until: command.until }),
    checkpointSamples: command.checkpointSamples,
    checkpointMs: command.checkpointMs,
    leaseMs: command.leaseMs,
    onHeld: command.onHeld,
    signal: controller.signal,
    onEvent: (event) => {
      if (command.json) process.stdout.write(`${JSON.stringify(event)}\n`);
      else if (event.event === 'checkpoint' || event.event === 'done') {
        process.stderr.write(
          `session ${command.session}: ${event.event} after gradients of ${event.consumedSamples} samples: ${event.applied} applied, ${event.stale} stale, ${event.invalid} invalid; step ${event.step}\n`,
        );
      } else if (event.event === 'lease-waiting') {
        process.stderr.write(
          `session ${command.session} is trained by ${event.holder.owner}; waiting to take over when it stops (one trainer per session)\n`,
        );
      }
    },
  });
  if (!command.json) console.log(`params ${end.params.join(', ')}`);
  return 0;
}

/**
 * `adamflow worker`: computes gradients for the session until SIGINT or SIGTERM.
 *
 * @param command - the parsed command.
 * @param nats - an open context.
 * @returns the exit code.
 * @example
 * ```ts
 * import { runWorkerCommand } from './gradient-commands.js';
 * import { openNats } from './nats-context.js';
 * import { parseCommand, type WorkerCommand } from './options.js';
 * const command = parseCommand(['worker', '--nats', 'nats://127.0.0.1:4222', '--session', 'demo'], {});
 * await runWorkerCommand(command as WorkerCommand, await openNats({ url: command.nats, name: 'adamflow-worker' }));
 * ```
 */
export async function runWorkerCommand(command: WorkerCommand, nats: NatsContext): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const report = (event: WorkerEvent) => {
    if (command.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else if (event.event === 'worker-ready') {
      process.stderr.write(
        `session ${command.session}: worker ready (${event.params} parameters, at step ${event.step})\n`,
      );
    } else {
      process.stderr.write(
        `session ${command.session}: worker stopped after ${event.gradients} gradients over ${event.samples} samples\n`,
      );
    }
  };
  await runWorker(nats, {
    session: command.session,
    ahead: command.ahead,
    model: command.model,
    signal: controller.signal,
    onEvent: report,
  });
  return 0;
}
