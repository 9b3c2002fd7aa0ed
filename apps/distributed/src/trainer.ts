import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { OptimizerName } from '@adamflow/core';
import type { Command } from '@adamflow/protocol';
import { createGenerator, Learner, modelFor } from '@adamflow/stream';
import { DeliverPolicy } from '@nats-io/jetstream';
import {
  configHash,
  readCheckpoint,
  type TrainerCheckpoint,
  type TrainerConfig,
  writeCheckpoint,
} from './checkpoint.js';
import { applyCommand, CommandLog, type RecordedCommand } from './command-log.js';
import { asDisconnect, watchDisconnect } from './disconnect.js';
import { DistributedError } from './errors.js';
import { completeCommand, learnMessage } from './learn-message.js';
import { Lease, type LeaseHolder } from './lease.js';
import type { NatsContext } from './nats-context.js';
import { ParamsUpdates } from './params-updates.js';
import { PauseGate } from './pause-gate.js';
import { type ReadMessage, SampleReader } from './sample-reader.js';
import { type SessionNames, sessionNames } from './session-names.js';
import { readSource } from './session-source.js';
import { type CommandReply, serveCommands } from './trainer-commands.js';

/** Options of {@link runTrainer}. */
export interface TrainerOptions {
  session: string;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  /** Metrics window in samples; default 100 (as `pnpm train`). */
  window?: number;
  /** Stop once this many samples are learned and checkpointed; default: run until stopped. */
  until?: number;
  /** Checkpoint after this many samples (at the next message boundary); default 65536. */
  checkpointSamples?: number;
  /** ...or after this many ms with unsaved progress; default 1000. */
  checkpointMs?: number;
  /** Publish a parameter update after every this many input messages; 0: none; default 4. */
  updateEvery?: number;
  /** Lease TTL in ms; default 5000. */
  leaseMs?: number;
  /** When another trainer holds the session: wait for it (default) or exit. */
  onHeld?: 'wait' | 'exit';
  /** Told what happens (lease, resume, checkpoints, end). */
  onEvent?: (event: TrainerEvent) => void;
  /**
   * Where the sample stream is read: on the trainer's own connection and thread
   * (`inline`, the default), or in a worker thread with its own connection, so that
   * receiving overlaps with learning (`thread`; see `SampleReader`: not faster on a
   * busy 2-core machine, where no core is free for it).
   */
  reader?: 'thread' | 'inline';
  /** Stops the trainer gracefully (final checkpoint, lease released). */
  signal?: AbortSignal;
}

/** What a trainer reports as it goes. */
export type TrainerEvent =
  | { event: 'lease-waiting'; holder: LeaseHolder }
  | { event: 'lease-acquired'; epoch: number }
  | { event: 'resumed'; samples: number; sequence: number; offset: number }
  | { event: 'reading'; sequence: number }
  | { event: 'checkpoint'; samples: number; step: number; sequence: number; offset: number }
  | { event: 'command'; samples: number; command: RecordedCommand; replayed: boolean }
  | { event: 'done'; samples: number; step: number };

/** How a trainer run ended. */
export interface TrainerResult {
  samples: number;
  step: number;
  params: number[];
}

/**
 * Trains on a session's sample stream, exactly and resumably: it takes the session's
 * lease, resumes from the checkpoint (learner state and stream position, one KV
 * entry), reads the stream in order from the next sequence with an ordered consumer,
 * and checkpoints at message boundaries every `checkpointSamples` samples or
 * `checkpointMs` ms, each write conditional on the revision it last wrote. Viewers'
 * `set-lr`, `set-optimizer` and `reset` are recorded in the session's command log at
 * the sample count where they apply before they are applied and acknowledged, and the
 * checkpoint says which of them its state holds. Killed at any moment and restarted,
 * it ends bitwise where an uninterrupted run with the same commands at the same
 * positions ends.
 *
 * @param nats - an open context (see `openNats`).
 * @param options - {@link TrainerOptions}.
 * @returns the final position and params (on `until`, or when stopped by the signal).
 * @throws DistributedError with one of the codes in `errors.ts`.
 * @example
 * ```ts
 * import { openNats } from './nats-context.js';
 * import { runTrainer } from './trainer.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'adamflow-trainer' });
 * const end = await runTrainer(nats, { session: 'demo', optimizer: 'adam', lr: 0.01, batchSize: 1, until: 10_000 });
 * console.log(end.params);
 * ```
 */
export async function runTrainer(
  nats: NatsContext,
  options: TrainerOptions,
): Promise<TrainerResult> {
  const names = sessionNames(options.session);
  const emit = options.onEvent ?? (() => {});
  const source = await readSource(nats.kv, names);
  if (source === undefined) {
    throw new DistributedError(
      'ADAMFLOW_ERR_SESSION_UNKNOWN',
      `session ${names.session} has no samples; run \`adamflow produce --session ${names.session} ...\` first`,
    );
  }
  const config: TrainerConfig = {
    source: source.spec,
    optimizer: options.optimizer,
    lr: options.lr,
    batchSize: options.batchSize,
    window: options.window ?? 100,
  };
  const hash = configHash(config);
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const lease = await Lease.acquire({
    kv: nats.kv,
    key: names.leaseKey,
    owner,
    ttlMs: options.leaseMs ?? 5000,
    onHeld: options.onHeld ?? 'wait',
    onWait: (holder) => emit({ event: 'lease-waiting', holder }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // Started now, so that the thread connects while the checkpoint is read.
  const reader =
    options.reader === 'thread'
      ? SampleReader.open({ url: nats.url, stream: names.stream })
      : undefined;
  try {
    const result = await trainHeld(nats, names, options, config, hash, owner, lease, emit, reader);
    await reader?.stop();
    await lease.release();
    return result;
  } catch (thrown) {
    await reader?.stop();
    const error = asDisconnect(thrown);
    // Without a connection a release would only wait for a timeout; the lease expires.
    if (error.code === 'ADAMFLOW_ERR_NATS_DISCONNECTED') lease.abandon();
    else await lease.release();
    throw error;
  }
}

async function trainHeld(
  nats: NatsContext,
  names: SessionNames,
  options: TrainerOptions,
  config: TrainerConfig,
  hash: string,
  owner: string,
  lease: Lease,
  emit: (event: TrainerEvent) => void,
  reader: SampleReader | undefined,
): Promise<TrainerResult> {
  const streamCreated = (await nats.jsm.streams.info(names.stream)).created;
  const stored = await readCheckpoint(nats, names);
  if (stored) checkResumable(names, stored.checkpoint, hash, config, streamCreated);
  const learner = stored ? restoreLearner(stored.checkpoint) : freshLearner(config);
  let sequence = stored?.checkpoint.sequence ?? 0;
  let offset = stored?.checkpoint.offset ?? 0;
  let revision = stored?.revision ?? 0;
  const epoch = (stored?.checkpoint.epoch ?? 0) + 1;
  const until = options.until ?? Number.POSITIVE_INFINITY;
  emit({ event: 'lease-acquired', epoch });
  emit({ event: 'resumed', samples: learner.samples, sequence, offset });
  let log: CommandLog | undefined;
  const updates = new ParamsUpdates(nats, names, streamCreated, options.updateEvery ?? 4);
  await updates.open();

  const snapshot = (): TrainerCheckpoint => ({
    format: 'adamflow.trainer-checkpoint',
    version: 1,
    session: names.session,
    configHash: hash,
    config,
    streamCreated,
    epoch,
    sequence,
    offset,
    samples: learner.samples,
    commands: log?.applied ?? stored?.checkpoint.commands ?? 0,
    step: learner.steps,
    learner: learner.state(),
    owner,
    writtenAt: new Date().toISOString(),
  });
  // Writes are chained so that exactly one is in flight and each carries the revision
  // the previous one produced. The state is taken when a save is asked for, always
  // between two messages (a message is learned synchronously), and the training loop
  // goes on while it is written: the KV entry is the commit point, whenever it lands.
  // Before it lands, every update up to its sequence is stored (updates.drain), so a
  // resumed trainer never skips one that was lost.
  // The samples of the newest state handed to a write (saved or on its way).
  let startedSamples = stored ? learner.samples : -1;
  let savedAt = Date.now();
  let writing = 0;
  let chain: Promise<void> = Promise.resolve();
  const save = (force: boolean): Promise<void> => {
    if (!force && learner.samples === startedSamples) return chain;
    const checkpoint = snapshot();
    startedSamples = checkpoint.samples;
    writing++;
    const updatesStored = updates.drain();
    chain = chain.then(async () => {
      try {
        await updatesStored;
        revision = await writeCheckpoint(nats, names, checkpoint, revision);
      } finally {
        writing--;
      }
      savedAt = Date.now();
      emit({
        event: 'checkpoint',
        samples: checkpoint.samples,
        step: checkpoint.step,
        sequence: checkpoint.sequence,
        offset: checkpoint.offset,
      });
    });
    return chain;
  };
  // Claim: bump the checkpoint's revision at once, so a fenced-off predecessor's next
  // write fails even if it has not noticed yet that its lease is gone.
  await save(true);
  // Then the command log: what was recorded after the checkpoint, and this trainer's claim.
  log = await CommandLog.open(nats, names, {
    streamCreated,
    epoch,
    after: stored?.checkpoint.commands ?? 0,
    samples: learner.samples,
  });
  const commandLog = log;
  const replayDue = () => {
    for (const command of commandLog.applyDue(learner))
      emit({ event: 'command', samples: learner.samples, command, replayed: true });
  };
  replayDue();

  const everySamples = options.checkpointSamples ?? 65_536;
  const everyMs = options.checkpointMs ?? 1000;
  let fatal: Error | undefined;
  let messages: (AsyncIterable<ReadMessage> & { stop(): unknown }) | undefined;
  // Commands and input messages take turns: a command is recorded and applied
  // between two messages, at the sample count it is recorded with. Commands queue
  // behind each other; the loop, which learns a message synchronously, waits only
  // while one is under way.
  let turn: Promise<unknown> = Promise.resolve();
  let commandsUnderWay = 0;
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    commandsUnderWay++;
    const run = turn.then(work).finally(() => {
      commandsUnderWay--;
    });
    turn = run.catch(() => {});
    return run;
  };
  const gate = new PauseGate();
  const current = (paused: boolean) => ({
    optimizer: learner.optimizerName ?? config.optimizer,
    lr: learner.optimizer.lr,
    batchSize: config.batchSize,
    paused,
  });
  const onCommand = async (command: Command): Promise<CommandReply> => {
    if (command.type === 'pause' || command.type === 'resume') {
      // A pause holds the loop between two input messages; it changes when, not what.
      const pause = command.type === 'pause';
      if (gate.paused === pause)
        return { ok: false, message: pause ? 'already paused' : 'not paused' };
      if (pause) gate.pause();
      else gate.resume();
      await updates.state(command.type, learner, current(pause));
      return { ok: true };
    }
    if (fatal) return { ok: false, message: 'the trainer is stopping' };
    if (commandLog.replaying) {
      return {
        ok: false,
        message: `the trainer is still replaying commands recorded before its restart (the next at sample ${commandLog.nextAt}); send it again once it is past them`,
      };
    }
    if (learner.samples >= until) return { ok: false, message: 'the trainer has trained --until' };
    const recorded = completeCommand(command, learner);
    if (recorded === undefined) return { ok: false, message: 'not a command' };
    try {
      // Recorded first: once the log has it, a restarted trainer applies it here too.
      commandLog.applied = await commandLog.record(recorded, learner.samples);
    } catch (error) {
      fail(error as Error);
      return { ok: false, message: String((error as Error)?.message).slice(0, 200) };
    }
    applyCommand(learner, recorded);
    emit({ event: 'command', samples: learner.samples, command: recorded, replayed: false });
    // Recorded and applied: the acknowledgement stands even if viewers miss the news.
    await updates.state(recorded.type, learner, current(gate.paused)).catch(() => {});
    return { ok: true };
  };
  const commands = serveCommands(nats.nc, names, (command) => exclusive(() => onCommand(command)));
  const fail = (error: Error) => {
    fatal ??= error;
    gate.release();
    messages?.stop();
  };
  void lease.lost.then(fail);
  const onAbort = () => {
    gate.release();
    messages?.stop();
  };
  options.signal?.addEventListener('abort', onAbort);
  const status = watchDisconnect(nats, fail);
  const saveDue = () => writing === 0 && learner.samples !== startedSamples;
  const timer = setInterval(
    () => {
      if (saveDue() && Date.now() - savedAt >= everyMs) save(false).catch(fail);
    },
    Math.max(10, Math.min(everyMs, 1000)),
  );
  try {
    if (learner.samples < until && !options.signal?.aborted) {
      if (reader) {
        reader.onFailure(fail);
        messages = reader;
        await reader.start(sequence + 1);
      } else {
        const consumer = await nats.js.consumers.get(names.stream, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: sequence + 1,
        });
        messages = await consumer.consume({ max_bytes: READ_BYTES });
      }
      if (options.signal?.aborted || fatal) messages.stop();
      emit({ event: 'reading', sequence: sequence + 1 });
      for await (const message of messages) {
        if (gate.paused) {
          await gate.wait();
          if (options.signal?.aborted) break;
        }
        while (commandsUnderWay > 0 && !fatal) await turn;
        if (fatal) break;
        const next = learnMessage(message, learner, commandLog, replayDue, {
          names,
          sequence,
          offset,
          until,
        });
        offset = next.offset;
        if (next.sequence !== sequence) {
          sequence = next.sequence;
          const room = updates.queue(sequence, learner);
          if (room) await room;
        }
        if (learner.samples >= until) break;
        if (
          saveDue() &&
          (learner.samples - startedSamples >= everySamples || Date.now() - savedAt >= everyMs)
        ) {
          save(false).catch(fail);
        }
      }
    }
    if (fatal) throw fatal;
    if (learner.samples >= until && offset === 0) await updates.last(sequence, learner);
    await save(false);
    if (fatal) throw fatal;
    emit({ event: 'done', samples: learner.samples, step: learner.steps });
    return { samples: learner.samples, step: learner.steps, params: Array.from(learner.params) };
  } finally {
    clearInterval(timer);
    commands.unsubscribe();
    status.stop();
    options.signal?.removeEventListener('abort', onAbort);
    messages?.stop();
    // A write still in flight must not outlive the lease.
    await chain.catch(() => {});
  }
}

/**
 * Bytes the ordered consumer asks the server for at once: many messages per pull
 * (the reads measured fastest with pulls by size, not by a count of messages), and
 * more than a message may hold (the server's `max_payload`, 1 MiB by default).
 */
const READ_BYTES = 16 * 1024 * 1024;

function freshLearner(config: TrainerConfig): Learner {
  const { features } = createGenerator(config.source);
  const learner = new Learner({
    model: modelFor(config.source.kind, features),
    optimizer: config.optimizer,
    batchSize: config.batchSize,
    window: config.window,
  });
  // As `pnpm train` does: the registry's demo settings, then the learning rate.
  learner.optimizer.set({ lr: config.lr });
  return learner;
}

function restoreLearner(checkpoint: TrainerCheckpoint): Learner {
  const { learner: state, config } = checkpoint;
  const learner = new Learner({
    model: modelFor(config.source.kind, state.params.length - 1),
    optimizer: state.optimizerName ?? config.optimizer,
    params: state.params,
    batchSize: config.batchSize,
    window: state.metrics.window,
    emaBeta: state.metrics.emaBeta,
  });
  learner.loadState(state);
  return learner;
}

function checkResumable(
  names: SessionNames,
  checkpoint: TrainerCheckpoint,
  hash: string,
  config: TrainerConfig,
  streamCreated: string,
): void {
  if (checkpoint.configHash !== hash) {
    const was = checkpoint.config;
    throw new DistributedError(
      'ADAMFLOW_ERR_CONFIG_MISMATCH',
      `session ${names.session} was trained with optimizer ${was.optimizer}, lr ${was.lr}, batch ${was.batchSize}, window ${was.window}; this trainer has optimizer ${config.optimizer}, lr ${config.lr}, batch ${config.batchSize}, window ${config.window}. Pass the same options, or train another session`,
    );
  }
  if (checkpoint.streamCreated !== streamCreated) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `the stream of session ${names.session} was recreated (${streamCreated}) after its checkpoint (stream of ${checkpoint.streamCreated}); its sequences mean other samples now. Train another session`,
    );
  }
}
