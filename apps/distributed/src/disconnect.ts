import {
  ClosedConnectionError,
  ConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { DistributedError } from './errors.js';
import type { NatsContext } from './nats-context.js';

/**
 * Turns a connection-level failure of any NATS call (or JetStream missing mid-run,
 * while a restarted server recovers) into one code,
 * `ADAMFLOW_ERR_NATS_DISCONNECTED` (restart and resume); other errors pass unchanged.
 *
 * @param error - what a NATS call threw.
 * @returns the error to report.
 * @example
 * ```ts
 * import { TimeoutError } from '@nats-io/transport-node';
 * import { asDisconnect } from './disconnect.js';
 * asDisconnect(new TimeoutError()).code; // 'ADAMFLOW_ERR_NATS_DISCONNECTED'
 * ```
 */
export function asDisconnect(error: unknown): Error & { code?: string } {
  const connection = [
    TimeoutError,
    ConnectionError,
    ClosedConnectionError,
    NoRespondersError,
    RequestError,
  ].some((kind) => error instanceof kind);
  // A publish that finds no JetStream during a run: the server restarted and has not
  // recovered its streams yet (at start-up, opening the bucket reports a server
  // without JetStream before any trainer runs).
  const restarting = (error as Error | undefined)?.name === 'JetStreamNotEnabled';
  if (!connection && !restarting) return error as Error;
  return new DistributedError(
    'ADAMFLOW_ERR_NATS_DISCONNECTED',
    `lost the connection to NATS (${(error as Error).message}); restart the trainer (it resumes from its last checkpoint)`,
  );
}

/**
 * Calls `fail` when the connection drops: what was learned since the last checkpoint
 * is replayed by the next run, so a lost connection is fatal rather than waited out.
 *
 * @param nats - an open context.
 * @param fail - told once per disconnect.
 * @returns a handle whose `stop()` ends the watch.
 * @example
 * ```ts
 * import { watchDisconnect } from './disconnect.js';
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * const watch = watchDisconnect(nats, (error) => console.error(error.message));
 * watch.stop();
 * ```
 */
export function watchDisconnect(nats: NatsContext, fail: (error: Error) => void): { stop(): void } {
  let stopped = false;
  void (async () => {
    for await (const event of nats.nc.status()) {
      if (stopped) return;
      if (event.type === 'disconnect') {
        fail(
          new DistributedError(
            'ADAMFLOW_ERR_NATS_DISCONNECTED',
            'lost the connection to NATS; restart the trainer (it resumes from its last checkpoint)',
          ),
        );
      }
    }
  })();
  return {
    stop: () => {
      stopped = true;
    },
  };
}
