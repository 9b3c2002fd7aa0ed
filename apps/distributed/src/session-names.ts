/** Session names: letters, digits, `-` and `_`, 1 to 64 of them (safe in subjects, stream names and KV keys). */
export const SESSION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The KV bucket that holds every session's source, lease and checkpoint. */
export const SESSIONS_BUCKET = 'adamflow-sessions';

/** The object store bucket of checkpoints larger than a KV entry may be. */
export const CHECKPOINTS_BUCKET = 'adamflow-checkpoints';

/** Where a session lives in NATS. */
export interface SessionNames {
  /** The session's name. */
  session: string;
  /** The JetStream stream of its samples. */
  stream: string;
  /** The subject its samples are published on. */
  subject: string;
  /** The JetStream stream of its parameter updates. */
  updatesStream: string;
  /** The subject its parameter updates are published on. */
  updatesSubject: string;
  /** The subject its trainer answers viewers' commands on (request/reply). */
  commandsSubject: string;
  /** The JetStream stream of gradients its workers publish (gradient mode). */
  gradientsStream: string;
  /** The subject its gradients are published on. */
  gradientsSubject: string;
  /** The durable consumer on its sample stream that shares the samples among workers. */
  workersConsumer: string;
  /** KV key of its source descriptor (what produce writes). */
  sourceKey: string;
  /** KV key of its trainer lease. */
  leaseKey: string;
  /** KV key of its checkpoint. */
  checkpointKey: string;
}

/**
 * Checks a session name and derives the NATS names of the session.
 *
 * @param session - the name.
 * @returns the stream, subject and KV keys.
 * @throws TypeError when the name is not 1 to 64 letters, digits, `-` or `_`.
 * @example
 * ```ts
 * import { sessionNames } from './session-names.js';
 * sessionNames('demo').stream; // 'ADAMFLOW_SAMPLES_demo'
 * ```
 */
export function sessionNames(session: string): SessionNames {
  if (typeof session !== 'string' || !SESSION_PATTERN.test(session)) {
    throw new TypeError(
      `session must be 1 to 64 letters, digits, '-' or '_', got ${JSON.stringify(session)}`,
    );
  }
  return {
    session,
    stream: `ADAMFLOW_SAMPLES_${session}`,
    subject: `adamflow.samples.${session}`,
    updatesStream: `ADAMFLOW_UPDATES_${session}`,
    updatesSubject: `adamflow.updates.${session}`,
    commandsSubject: `adamflow.commands.${session}`,
    gradientsStream: `ADAMFLOW_GRADIENTS_${session}`,
    gradientsSubject: `adamflow.gradients.${session}`,
    workersConsumer: 'adamflow-gradient-workers',
    sourceKey: `${session}.source`,
    leaseKey: `${session}.lease`,
    checkpointKey: `${session}.checkpoint`,
  };
}
