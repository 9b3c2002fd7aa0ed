import { type Command, ErrorCode, parseClientFrame } from '@adamflow/protocol';
import { type RawData, WebSocket } from 'ws';
import type { Client, ClientRegistry } from './client-registry.js';
import type { ControlToken } from './control-token.js';
import { type RateLimit, TokenBucket } from './rate-limiter.js';

/** What the trainer said to a command. */
export interface CommandOutcome {
  ok: boolean;
  /** Why it was refused (for people). */
  message?: string | null;
}

/** Options of {@link ClientMessages}. */
export interface ClientMessagesOptions {
  /** Where answers go (and where wrong tokens are charged). */
  registry: Pick<ClientRegistry, 'send' | 'backedUp' | 'mayCheckToken' | 'tokenFailed'>;
  /** The control token commands must carry. */
  token: ControlToken;
  /** `snapshot-request`s served per second across all clients. */
  snapshotBudget: RateLimit;
  /** Commands passed on per second across all clients. */
  commandBudget: RateLimit;
  /** The serialized snapshot for this client's run. */
  snapshot: (client: Client) => Buffer;
  /** Applies a command (validated, authorized, within budget) and says how it went. */
  command: (client: Client, command: Command) => Promise<CommandOutcome>;
}

// How often a deferred snapshot-request looks whether its client's buffer drained.
const DRAIN_POLL_MS = 25;

/**
 * The meaning of what clients send: frames are parsed and validated
 * (`parseClientFrame`), a `snapshot-request` is answered within a shared budget (at
 * most one waiting per client: while its send buffer is above the high-water mark, the
 * request waits until it drains and then gets the snapshot current at that moment;
 * requests meanwhile are folded into it, so a client cannot make the server queue
 * snapshot after snapshot behind a full buffer), and a
 * command needs the control token and a share of the command budget before it goes to
 * the trainer; its outcome comes back as `command-ack` or an `error` with the
 * command's `id`. The same rules for the single-process dashboard and a gateway.
 *
 * @example
 * ```ts
 * const messages = new ClientMessages({ registry, token, snapshotBudget, commandBudget, snapshot, command });
 * const registry = new ClientRegistry(options, (client, data, isBinary) => messages.handle(client, data, isBinary));
 * ```
 */
export class ClientMessages {
  /** Snapshots sent in answer to `snapshot-request`. */
  snapshotsServed = 0;
  /** `snapshot-request`s that waited for their client's buffer to drain. */
  snapshotsDeferred = 0;
  /** `snapshot-request`s folded into one already waiting for the same client. */
  snapshotsFolded = 0;
  /** Commands passed to the trainer. */
  commandsApplied = 0;
  /** Clients with a snapshot-request waiting for their buffer to drain, and its timer. */
  private readonly waiting = new Map<Client, ReturnType<typeof setTimeout>>();
  private readonly snapshotBudget: TokenBucket;
  private readonly commandBudget: TokenBucket;

  constructor(private readonly options: ClientMessagesOptions) {
    const { snapshotBudget, commandBudget } = options;
    this.snapshotBudget = new TokenBucket(snapshotBudget.capacity, snapshotBudget.perSecond);
    this.commandBudget = new TokenBucket(commandBudget.capacity, commandBudget.perSecond);
  }

  /** Handles one accepted frame from `client`. */
  handle(client: Client, data: RawData, isBinary: boolean): void {
    const { registry } = this.options;
    if (isBinary) {
      const text = 'binary frames are not part of the protocol; send JSON text';
      this.refuse(client, ErrorCode.BINARY_UNSUPPORTED, text, null);
      return;
    }
    const parsed = parseClientFrame(String(data));
    if (!parsed.ok) {
      this.refuse(client, parsed.code, parsed.message, parsed.id ?? null);
      return;
    }
    const message = parsed.value;
    const id = message.id ?? null;
    if (message.type === 'snapshot-request') {
      if (this.waiting.has(client)) this.snapshotsFolded++;
      else if (registry.backedUp(client)) this.defer(client, id);
      else this.serveSnapshot(client, id);
      return;
    }
    const refusal = this.options.token.verify(message.token, client, registry);
    if (refusal) {
      this.refuse(client, refusal.code, refusal.message, id);
      return;
    }
    if (!this.commandBudget.take()) {
      const text = 'the server is busy with commands from other clients; retry in a second';
      this.refuse(client, ErrorCode.RATE_LIMITED, text, id);
      return;
    }
    const { token: _token, id: _id, ...command } = message;
    this.commandsApplied++;
    void this.options.command(client, command as Command).then((result) => {
      if (result.ok) registry.send(client, { type: 'command-ack', id, command: message.type });
      else {
        const text = `${message.type}: ${result.message ?? 'refused'}`;
        this.refuse(client, ErrorCode.COMMAND_REJECTED, text, id);
      }
    });
  }

  private serveSnapshot(client: Client, id: string | null): void {
    if (!this.snapshotBudget.take()) {
      const text = 'the server is busy sending snapshots; retry in a second';
      this.refuse(client, ErrorCode.RATE_LIMITED, text, id);
      return;
    }
    this.snapshotsServed++;
    this.options.registry.send(client, this.options.snapshot(client));
  }

  /** Answers `client`'s request once its buffer is at or below the mark (or forgets it if it closed). */
  private defer(client: Client, id: string | null): void {
    this.snapshotsDeferred++;
    const look = () => {
      if (client.ws.readyState !== WebSocket.OPEN) this.waiting.delete(client);
      else if (this.options.registry.backedUp(client)) this.wait(client, look);
      else {
        this.waiting.delete(client);
        this.serveSnapshot(client, id);
      }
    };
    this.wait(client, look);
  }

  private wait(client: Client, look: () => void): void {
    const timer = setTimeout(look, DRAIN_POLL_MS);
    // A waiting request never keeps the process alive.
    timer.unref?.();
    this.waiting.set(client, timer);
  }

  private refuse(client: Client, code: ErrorCode, message: string, id: string | null): void {
    this.options.registry.send(client, { type: 'error', code, message, id });
  }
}
