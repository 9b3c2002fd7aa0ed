#!/usr/bin/env node
// `pnpm adamflow`: adamflow on NATS JetStream (produce, trainer, worker, inspect, gateway).
import { DistributedError } from './errors.js';
import { type Gateway, startGateway } from './gateway.js';
import { runGradientMode, runWorkerCommand } from './gradient-commands.js';
import { inspect } from './inspect.js';
import { type NatsContext, openNats } from './nats-context.js';
import { type Command, type GatewayCommand, parseCommand, USAGE, UsageError } from './options.js';
import { produce } from './produce.js';
import { runTrainer, type TrainerEvent } from './trainer.js';

async function main(): Promise<number> {
  // `pnpm adamflow -- produce ...` passes the separator through; it means nothing here.
  const argv = process.argv.slice(2);
  const command = parseCommand(argv[0] === '--' ? argv.slice(1) : argv, process.env);
  if (command.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  return run(command);
}

async function run(command: Command): Promise<number> {
  if (command.command === 'gateway') return serveGateway(command);
  const nats = await openNats({ url: command.nats, name: `adamflow-${command.command}` });
  try {
    const code = await execute(command, nats);
    await nats.close();
    return code;
  } catch (error) {
    // No drain on failure: the connection may be gone, and a drain would wait for it.
    await nats.nc.close().catch(() => {});
    throw error;
  }
}

/** Runs a gateway until SIGINT or SIGTERM. */
async function serveGateway(command: GatewayCommand): Promise<number> {
  const nats = await openNats({ url: command.nats, name: 'adamflow-gateway' });
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      nats,
      host: command.host,
      port: command.port,
      ringSize: command.ring,
      maxSessions: command.maxSessions,
      token: command.token,
      allowedOrigins: command.allowedOrigins,
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    await nats.nc.close().catch(() => {});
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new UsageError(
        `gateway: port ${command.port} is in use; pass another --port (0 picks a free one)`,
      );
    }
    throw error;
  }
  process.stderr.write(
    `adamflow gateway: serving ${gateway.url}?session=NAME (commands ${command.token ? 'need the token' : 'open to anyone who can reach it'})\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.close();
  await nats.close();
  return 0;
}

async function execute(
  command: Exclude<Command, GatewayCommand>,
  nats: NatsContext,
): Promise<number> {
  switch (command.command) {
    case 'produce': {
      const result = await produce(nats, {
        session: command.session,
        spec: command.spec,
        samples: command.samples,
        batchSamples: command.batchSamples,
        replicas: command.replicas,
      });
      if (command.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        console.log(
          `session ${result.session}: ${result.samples.toLocaleString('en')} samples in the stream (${result.added.toLocaleString('en')} added in ${result.messages} messages)`,
        );
      }
      return 0;
    }
    case 'worker':
      return runWorkerCommand(command, nats);
    case 'trainer': {
      if (command.gradients) return runGradientMode(command, nats);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const report = (event: TrainerEvent) => {
        if (command.json) process.stdout.write(`${JSON.stringify(event)}\n`);
        else process.stderr.write(`${describe(command.session, event)}\n`);
      };
      const end = await runTrainer(nats, {
        session: command.session,
        optimizer: command.optimizer,
        lr: command.lr,
        batchSize: command.batchSize,
        ...(command.until === undefined ? {} : { until: command.until }),
        checkpointSamples: command.checkpointSamples,
        checkpointMs: command.checkpointMs,
        updateEvery: command.updateEvery,
        leaseMs: command.leaseMs,
        onHeld: command.onHeld,
        reader: command.reader,
        onEvent: report,
        signal: controller.signal,
      });
      if (!command.json) console.log(`params ${end.params.join(', ')}`);
      return 0;
    }
    case 'inspect': {
      const result = await inspect(nats, command.session);
      if (command.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        console.log(
          `session ${command.session}: ${result.samples.toLocaleString('en')} samples, ${result.step.toLocaleString('en')} steps`,
        );
        console.log(`params  ${result.params.join(', ')}`);
      }
      return 0;
    }
  }
}

function describe(session: string, event: TrainerEvent): string {
  switch (event.event) {
    case 'lease-waiting':
      return `session ${session} is trained by ${event.holder.owner} (pid ${event.holder.pid} on ${event.holder.host}); waiting to take over when it stops (one trainer per session)`;
    case 'lease-acquired':
      return `session ${session}: lease taken (epoch ${event.epoch})`;
    case 'resumed':
      return event.samples === 0
        ? `session ${session}: starting from the first sample`
        : `session ${session}: resuming at sample ${event.samples.toLocaleString('en')} (stream sequence ${event.sequence + 1})`;
    case 'reading':
      return `session ${session}: reading its stream from sequence ${event.sequence}`;
    case 'checkpoint':
      return `session ${session}: checkpoint at ${event.samples.toLocaleString('en')} samples, ${event.step.toLocaleString('en')} steps`;
    case 'command':
      return `session ${session}: ${event.replayed ? 'replayed' : 'recorded'} ${JSON.stringify(event.command)} at sample ${event.samples.toLocaleString('en')}`;
    case 'done':
      return `session ${session}: done at ${event.samples.toLocaleString('en')} samples`;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`adamflow: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    const code = (error as { code?: string }).code;
    process.stderr.write(`adamflow: ${(error as Error).message}${code ? ` (${code})` : ''}\n`);
    process.exit(error instanceof DistributedError && code === 'ADAMFLOW_ERR_LEASE_HELD' ? 3 : 1);
  },
);
