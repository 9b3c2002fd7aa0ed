import type { OptimizerName } from '@adamflow/core';
import type { Learner } from '@adamflow/stream';
import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { DistributedError } from './errors.js';
import { parseExact, stringifyExact } from './exact-json.js';
import type { NatsContext } from './nats-context.js';
import type { SessionNames } from './session-names.js';

/**
 * A command that changes training, as recorded: complete in itself (a `set-optimizer`
 * names its learning rate), so applying it again gives the same state.
 */
export type RecordedCommand =
  | { type: 'set-lr'; lr: number }
  | { type: 'set-optimizer'; optimizer: OptimizerName; lr: number }
  | { type: 'reset' };

/** One entry of a session's command log. */
export interface CommandLogEntry {
  format: 'adamflow.command-log';
  version: 1;
  session: string;
  /** The input stream's creation time: the history `samples` counts in. */
  streamCreated: string;
  /** The fencing epoch of the trainer that wrote it. */
  epoch: number;
  /** The command applies before sample `samples + 1` is learned. */
  samples: number;
  /** A command, or null for a trainer's claim (it fences off earlier writers). */
  command: RecordedCommand | null;
}

/** A recorded command and where it sits. */
export interface PendingCommand {
  /** Its sequence in the command log. */
  sequence: number;
  /** The sample count at which it applies. */
  samples: number;
  command: RecordedCommand;
}

/** Entries the log keeps at most; a session never nears it (each is a viewer's click). */
const MAX_ENTRIES = 1_000_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A session's command log: the commands its trainers accepted, each with the input
 * position (sample count) from which it applies, in a JetStream stream of its own.
 * With the checkpoint's `commands` (the last log sequence whose effect it holds), a
 * restarted trainer knows exactly which commands to apply again and where, so a run
 * with commands replays bitwise like one without.
 *
 * Writes are fenced: each append expects the log's last sequence as this trainer
 * knows it, and a trainer that takes the session over first appends a claim. So a
 * trainer that lost its lease without noticing can no longer record anything that
 * its successor would not read.
 *
 * @example
 * ```ts
 * import { CommandLog } from './command-log.js';
 * declare const nats: import('./nats-context.js').NatsContext;
 * declare const names: import('./session-names.js').SessionNames;
 * const log = await CommandLog.open(nats, names, { streamCreated: '...', epoch: 1, after: 0, samples: 0 });
 * await log.record({ type: 'set-lr', lr: 0.05 }, 4096);
 * ```
 */
export class CommandLog {
  /** The last log sequence applied to the learner (the checkpoint's `commands`). */
  applied: number;

  private constructor(
    private readonly nats: NatsContext,
    private readonly names: SessionNames,
    private readonly streamCreated: string,
    private readonly epoch: number,
    private last: number,
    /** Recorded after the checkpoint and not yet applied, in order. */
    private readonly pending: PendingCommand[],
    after: number,
  ) {
    this.applied = after;
  }

  /**
   * Opens (or creates) the session's log, reads what was recorded after the
   * checkpoint, and appends this trainer's claim.
   *
   * @param nats - an open context.
   * @param names - the session's names.
   * @param at - the input stream's identity, the trainer's epoch, the checkpoint's
   *   `commands` and its sample count.
   * @returns the log.
   * @throws DistributedError `ADAMFLOW_ERR_STREAM_CORRUPT` when an entry belongs to
   *   another history or applies before the checkpoint.
   */
  static async open(
    nats: NatsContext,
    names: SessionNames,
    at: { streamCreated: string; epoch: number; after: number; samples: number },
  ): Promise<CommandLog> {
    await ensureLog(nats, names);
    const pending: PendingCommand[] = [];
    let read = 0;
    for (let attempt = 0; ; attempt++) {
      const last = (await nats.jsm.streams.info(names.commandLogStream)).state.last_seq;
      for (let sequence = read + 1; sequence <= last; sequence++) {
        const entry = await readEntry(nats, names, sequence);
        if (entry.streamCreated !== at.streamCreated) {
          throw new DistributedError(
            'ADAMFLOW_ERR_STREAM_CORRUPT',
            `the command log of session ${names.session} belongs to another input stream (${entry.streamCreated}); train another session`,
          );
        }
        if (entry.command === null || sequence <= at.after) continue;
        if (entry.samples < at.samples) {
          throw new DistributedError(
            'ADAMFLOW_ERR_STREAM_CORRUPT',
            `the command log of session ${names.session}: command ${sequence} applies at sample ${entry.samples}, before the checkpoint (${at.samples})`,
          );
        }
        pending.push({ sequence, samples: entry.samples, command: entry.command });
      }
      read = last;
      const log = new CommandLog(nats, names, at.streamCreated, at.epoch, last, pending, at.after);
      try {
        await log.append(null, at.samples);
        return log;
      } catch (error) {
        // A fenced-off predecessor appended meanwhile: read it too, then claim again.
        if (!(error instanceof DistributedError) || attempt >= 10) throw error;
      }
    }
  }

  /** The sample count at which the next recorded command applies; Infinity when none. */
  get nextAt(): number {
    return this.pending[0]?.samples ?? Number.POSITIVE_INFINITY;
  }

  /** Whether commands recorded earlier still wait for their position. */
  get replaying(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Applies the recorded commands that are due at the learner's sample count.
   *
   * @param learner - the learner, between two samples.
   * @returns the commands applied, in order.
   */
  applyDue(learner: Learner): RecordedCommand[] {
    const done: RecordedCommand[] = [];
    while (this.pending.length > 0 && this.pending[0]!.samples === learner.samples) {
      const next = this.pending.shift()!;
      applyCommand(learner, next.command);
      this.applied = next.sequence;
      done.push(next.command);
    }
    return done;
  }

  /**
   * Records a command at sample count `samples`; apply it only once this resolves.
   *
   * @param command - the complete command.
   * @param samples - the learner's sample count now.
   * @returns the command's log sequence.
   * @throws DistributedError `ADAMFLOW_ERR_LEASE_LOST` when another trainer wrote the log.
   */
  record(command: RecordedCommand, samples: number): Promise<number> {
    return this.append(command, samples);
  }

  private async append(command: RecordedCommand | null, samples: number): Promise<number> {
    const entry: CommandLogEntry = {
      format: 'adamflow.command-log',
      version: 1,
      session: this.names.session,
      streamCreated: this.streamCreated,
      epoch: this.epoch,
      samples,
      command,
    };
    try {
      const ack = await this.nats.js.publish(
        this.names.commandLogSubject,
        encoder.encode(stringifyExact(entry)),
        { expect: { lastSequence: this.last } },
      );
      this.last = ack.seq;
      return ack.seq;
    } catch (error) {
      if (!/wrong last sequence/i.test(String((error as Error)?.message))) throw error;
      throw new DistributedError(
        'ADAMFLOW_ERR_LEASE_LOST',
        `the command log of session ${this.names.session} was written by another trainer; this one stops without recording`,
      );
    }
  }
}

/**
 * Applies a recorded command to a learner, as the single-process session does.
 *
 * @param learner - the learner, between two samples.
 * @param command - the command.
 * @example
 * ```ts
 * import { Learner, linearRegression } from '@adamflow/stream';
 * import { applyCommand } from './command-log.js';
 * const learner = new Learner({ model: linearRegression(), optimizer: 'adam' });
 * applyCommand(learner, { type: 'set-lr', lr: 0.05 });
 * ```
 */
export function applyCommand(learner: Learner, command: RecordedCommand): void {
  switch (command.type) {
    case 'set-lr':
      learner.optimizer.set({ lr: command.lr });
      return;
    case 'set-optimizer':
      learner.setOptimizer(command.optimizer, { lr: command.lr });
      return;
    case 'reset':
      learner.reset();
      return;
  }
}

async function ensureLog(nats: NatsContext, names: SessionNames): Promise<void> {
  try {
    await nats.jsm.streams.info(names.commandLogStream);
    return;
  } catch {
    // created below
  }
  await nats.jsm.streams
    .add({
      name: names.commandLogStream,
      subjects: [names.commandLogSubject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      // The log is part of the training history: never drop an entry to make room.
      discard: DiscardPolicy.New,
      max_msgs: MAX_ENTRIES,
    })
    .catch(async (error: unknown) => {
      // A concurrent creator won; anything else is real.
      await nats.jsm.streams.info(names.commandLogStream).catch(() => {
        throw error;
      });
    });
}

async function readEntry(
  nats: NatsContext,
  names: SessionNames,
  sequence: number,
): Promise<CommandLogEntry> {
  const message = await nats.jsm.streams.getMessage(names.commandLogStream, { seq: sequence });
  const entry =
    message === null ? undefined : (parseExact(decoder.decode(message.data)) as CommandLogEntry);
  if (
    entry?.format !== 'adamflow.command-log' ||
    entry.version !== 1 ||
    !Number.isSafeInteger(entry.samples)
  ) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `the command log of session ${names.session}: entry ${sequence} is missing or not an adamflow.command-log of version 1`,
    );
  }
  return entry;
}
