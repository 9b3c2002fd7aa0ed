import { type Command, parseClientMessage } from '@adamflow/protocol';
import {
  type NatsConnection,
  NoRespondersError,
  RequestError,
  type Subscription,
  TimeoutError,
} from '@nats-io/transport-node';
import type { SessionNames } from './session-names.js';

/** A trainer's answer to a viewer's command. */
export interface CommandReply {
  ok: boolean;
  /** Why it was refused (for people, at most a few hundred characters). */
  message?: string;
}

/** The largest command request a trainer reads (a command is a few dozen bytes). */
export const MAX_COMMAND_BYTES = 4096;

// A session trains one learner from its stream; a race would be state no log records.
const RACE_REFUSAL =
  'not available in the distributed mode (a session trains one optimizer); race optimizers in the dashboard, or train one session per optimizer';

/**
 * Why the distributed trainer refuses some commands. The ones that change training
 * (`set-lr`, `set-optimizer`, `reset`) are accepted: they are recorded in the
 * session's command log at an input position before they apply (see
 * `command-log.ts`), so a restarted trainer replays them bitwise; `pause` and
 * `resume` change only when samples are learned, never what is learned. The source
 * is what was produced into the session, the pace is the producer's, the trainer
 * writes its checkpoints by itself, and a restore from a page would be recorded
 * nowhere a restarted trainer reads: those are refused rather than lost.
 */
export const REFUSED_IN_DISTRIBUTED_MODE: Readonly<Record<string, string>> = Object.freeze({
  'set-source':
    'not available in the distributed mode (the source is what was produced into the session); produce another session',
  'set-rate':
    'not available in the distributed mode (the trainer learns the samples as fast as they are produced); pace the producer instead',
  checkpoint:
    'not available in the distributed mode (the trainer checkpoints to the session by itself); see --checkpoint-samples and --checkpoint-ms',
  restore:
    'not available in the distributed mode (a restarted trainer must replay bitwise); train another session',
  'add-contestant': RACE_REFUSAL,
  'remove-contestant': RACE_REFUSAL,
  'retune-contestant': RACE_REFUSAL,
});

/** The queue group trainers answer in: one request reaches one trainer. */
const TRAINERS_QUEUE = 'adamflow-trainers';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Answers viewers' commands for a session on its commands subject (NATS
 * request/reply): each request is parsed and validated as the dashboard does
 * (`parseClientMessage`, at most {@link MAX_COMMAND_BYTES}), commands in
 * {@link REFUSED_IN_DISTRIBUTED_MODE} are refused, and the rest go to `apply`.
 * Only the trainer holding the session's lease serves, so there is one answerer.
 *
 * @param nc - the connection.
 * @param names - the session's names.
 * @param apply - applies the command (recording it first when it changes training) and says how it went.
 * @returns the subscription; `unsubscribe()` it when the trainer stops.
 * @example
 * ```ts
 * import { serveCommands } from './trainer-commands.js';
 * declare const nc: import('@nats-io/transport-node').NatsConnection;
 * declare const names: import('./session-names.js').SessionNames;
 * const subscription = serveCommands(nc, names, async () => ({ ok: true }));
 * subscription.unsubscribe();
 * ```
 */
export function serveCommands(
  nc: NatsConnection,
  names: SessionNames,
  apply: (command: Command) => Promise<CommandReply>,
): Subscription {
  return nc.subscribe(names.commandsSubject, {
    // A fenced-off trainer that has not noticed yet may still be subscribed: in one
    // queue group the request reaches one of the two, never both with two answers.
    queue: TRAINERS_QUEUE,
    callback: (error, message) => {
      if (error) return;
      void answer(message.data, apply).then(
        (reply) => message.respond(encoder.encode(JSON.stringify(reply))),
        (failure: unknown) =>
          message.respond(
            encoder.encode(
              JSON.stringify({
                ok: false,
                message: String((failure as Error)?.message).slice(0, 200),
              }),
            ),
          ),
      );
    },
  });
}

async function answer(
  data: Uint8Array,
  apply: (command: Command) => Promise<CommandReply>,
): Promise<CommandReply> {
  if (data.length > MAX_COMMAND_BYTES) {
    return { ok: false, message: `a command is at most ${MAX_COMMAND_BYTES} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, message: 'the command is not valid JSON' };
  }
  const parsed = parseClientMessage(json);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  const { type } = parsed.value;
  if (type === 'snapshot-request') return { ok: false, message: 'not a command' };
  const refusal = REFUSED_IN_DISTRIBUTED_MODE[type];
  if (refusal !== undefined) return { ok: false, message: refusal };
  return apply(parsed.value as Command);
}

/**
 * Sends a viewer's command to the session's trainer and waits for its answer.
 * Connection failures are answers too: no trainer running, or none answering in time.
 *
 * @param nc - the connection.
 * @param names - the session's names.
 * @param command - a validated command (without token or id: the gateway checked those).
 * @param timeoutMs - how long to wait; default 5000.
 * @returns the trainer's reply.
 * @example
 * ```ts
 * import { sendCommand } from './trainer-commands.js';
 * declare const nc: import('@nats-io/transport-node').NatsConnection;
 * declare const names: import('./session-names.js').SessionNames;
 * const reply = await sendCommand(nc, names, { type: 'pause' });
 * ```
 */
export async function sendCommand(
  nc: NatsConnection,
  names: SessionNames,
  command: Command,
  timeoutMs = 5000,
): Promise<CommandReply> {
  try {
    const reply = await nc.request(names.commandsSubject, encoder.encode(JSON.stringify(command)), {
      timeout: timeoutMs,
    });
    return parseReply(reply.data);
  } catch (error) {
    if (error instanceof NoRespondersError || isNoResponders(error)) {
      return {
        ok: false,
        message: `no trainer is running session ${names.session}; start one with \`adamflow trainer --session ${names.session}\``,
      };
    }
    if (isTimeout(error)) {
      return {
        ok: false,
        message: `the trainer of session ${names.session} did not answer within ${timeoutMs} ms`,
      };
    }
    return {
      ok: false,
      message: `could not reach the trainer (${String((error as Error)?.message).slice(0, 120)})`,
    };
  }
}

function isNoResponders(error: unknown): boolean {
  return error instanceof RequestError && error.isNoResponders();
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof TimeoutError || (error as { cause?: unknown })?.cause instanceof TimeoutError
  );
}

function parseReply(data: Uint8Array): CommandReply {
  try {
    const reply = JSON.parse(decoder.decode(data.subarray(0, MAX_COMMAND_BYTES))) as CommandReply;
    if (typeof reply?.ok === 'boolean') {
      return reply.ok
        ? { ok: true }
        : { ok: false, message: String(reply.message ?? 'refused').slice(0, 300) };
    }
  } catch {
    // answered below
  }
  return { ok: false, message: 'the trainer answered something that is not a command reply' };
}
