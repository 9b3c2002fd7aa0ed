import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CHECKPOINTS_BUCKET, SESSIONS_BUCKET } from './session-names.js';

/** An open connection with the JetStream and KV handles every command needs. */
export interface NatsContext {
  /** The server URL(s) it was opened with (a reader thread opens its own connection). */
  url: string;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The bucket of session sources, leases and checkpoints. */
  kv: KV;
  /** The object store of checkpoints too large for a KV entry (opened on first use). */
  objects(): Promise<ObjectStore>;
  /** Drains and closes the connection. */
  close(): Promise<void>;
}

/** Options of {@link openNats}. */
export interface OpenNatsOptions {
  /** Server URL(s), comma-separated, e.g. `nats://127.0.0.1:4222`. */
  url: string;
  /** Connection name, shown by the server's monitoring. */
  name: string;
  /** Keep reconnecting after the connection drops; default true. */
  reconnect?: boolean;
}

/**
 * Connects to NATS and opens the sessions bucket (creating it on first use).
 *
 * @param options - {@link OpenNatsOptions}.
 * @returns the context; call `close()` when done.
 * @example
 * ```ts
 * import { openNats } from './nats-context.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'adamflow-inspect' });
 * await nats.close();
 * ```
 */
export async function openNats(options: OpenNatsOptions): Promise<NatsContext> {
  const nc = await connect({
    servers: options.url.split(',').map((server) => server.trim()),
    name: options.name,
    ...(options.reconnect === false ? { reconnect: false } : {}),
  });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    // history 5: the last few checkpoints stay readable for post-mortems.
    const kv = await new Kvm(js).create(SESSIONS_BUCKET, { history: 5 });
    let objects: Promise<ObjectStore> | undefined;
    return {
      url: options.url,
      nc,
      js,
      jsm,
      kv,
      objects: () => {
        objects ??= new Objm(js).create(CHECKPOINTS_BUCKET);
        // A failed open is retried by the next call rather than remembered.
        objects.catch(() => {
          objects = undefined;
        });
        return objects;
      },
      close: async () => {
        if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
