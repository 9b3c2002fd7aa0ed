import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import { DistributedError } from './errors.js';

/** Who holds a lease, as stored in its KV entry. */
export interface LeaseHolder {
  owner: string;
  host: string;
  pid: number;
  /** The holder refreshes at least every `ttlMs / 3`; unchanged for `ttlMs`, it is dead. */
  ttlMs: number;
  acquiredAt: string;
}

/** Options of {@link Lease.acquire}. */
export interface LeaseOptions {
  kv: KV;
  key: string;
  /** This process's unique id. */
  owner: string;
  /** How long a lease lives without a refresh, in ms. */
  ttlMs: number;
  /** When another live process holds it: wait for it to go, or throw `ADAMFLOW_ERR_LEASE_HELD`. */
  onHeld: 'wait' | 'exit';
  /** Told once per holder while waiting. */
  onWait?: (holder: LeaseHolder) => void;
  /** Stops waiting. */
  signal?: AbortSignal;
}

/**
 * An exclusive lease on a KV key: taken with `create` (only when the key is absent or
 * deleted), refreshed by `update` with the expected revision, taken over only from a
 * holder whose entry has not changed for its whole TTL as seen by the waiter (no
 * clock is compared across machines). Losing a refresh race means another process
 * owns it now: `lost` settles and the owner must stop at once.
 *
 * @example
 * ```ts
 * import { openNats } from './nats-context.js';
 * import { Lease } from './lease.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * const lease = await Lease.acquire({ kv: nats.kv, key: 'demo.lease', owner: 'a', ttlMs: 5000, onHeld: 'exit' });
 * await lease.release();
 * ```
 */
export class Lease {
  /** Settles with the reason once the lease is lost. */
  readonly lost: Promise<DistributedError>;
  private revision: number;
  private timer: NodeJS.Timeout | undefined;
  private lastRefresh = Date.now();
  private onLost!: (error: DistributedError) => void;
  private released = false;
  private inflight: Promise<void> | undefined;

  private constructor(
    private readonly options: LeaseOptions,
    private readonly value: string,
    revision: number,
  ) {
    this.revision = revision;
    this.lost = new Promise((resolve) => {
      this.onLost = resolve;
    });
    this.timer = setInterval(
      () => {
        // One refresh at a time: a second one would carry a stale revision.
        this.inflight ??= this.refresh().finally(() => {
          this.inflight = undefined;
        });
      },
      Math.max(50, options.ttlMs / 3),
    );
  }

  /**
   * Takes the lease, waiting for the holder to release it or die when `onHeld` is `'wait'`.
   *
   * @param options - {@link LeaseOptions}.
   * @returns the held lease, refreshed in the background.
   * @throws DistributedError `ADAMFLOW_ERR_LEASE_HELD` (onHeld `'exit'`), or the signal's reason.
   */
  static async acquire(options: LeaseOptions): Promise<Lease> {
    const { kv, key, ttlMs } = options;
    if (!(Number.isFinite(ttlMs) && ttlMs >= 100)) {
      throw new RangeError(`ttlMs must be a number >= 100, got ${ttlMs}`);
    }
    const holder: LeaseHolder = {
      owner: options.owner,
      host: hostname(),
      pid: process.pid,
      ttlMs,
      acquiredAt: new Date().toISOString(),
    };
    const value = JSON.stringify(holder);
    let seen: { revision: number; since: number; holder: LeaseHolder } | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        return new Lease(options, value, await kv.create(key, value));
      } catch {
        // Present: look at who holds it.
      }
      const entry = await kv.get(key);
      if (entry !== null && entry.operation === 'PUT') {
        const current = entry.json<LeaseHolder>();
        if (seen?.revision !== entry.revision) {
          if (seen?.holder.owner !== current.owner) options.onWait?.(current);
          seen = { revision: entry.revision, since: Date.now(), holder: current };
          if (options.onHeld === 'exit') {
            throw new DistributedError(
              'ADAMFLOW_ERR_LEASE_HELD',
              `${key} is held by ${current.owner} (pid ${current.pid} on ${current.host}); one trainer per session. Stop it, or run this one with --on-held wait to take over when it stops`,
            );
          }
        } else if (Date.now() - seen.since >= Math.max(current.ttlMs, 100)) {
          // Not refreshed for a whole TTL: the holder is gone. Take over by revision,
          // so of several waiters exactly one succeeds.
          try {
            return new Lease(options, value, await kv.update(key, value, entry.revision));
          } catch {
            seen = undefined;
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, ttlMs / 4)));
    }
  }

  /** Refreshes by revision; a lost race or a TTL without a successful refresh loses it. */
  private async refresh(): Promise<void> {
    if (this.released) return;
    try {
      this.revision = await this.options.kv.update(this.options.key, this.value, this.revision);
      this.lastRefresh = Date.now();
    } catch (error) {
      const raced = /wrong last sequence/i.test(String((error as Error)?.message));
      if (raced || Date.now() - this.lastRefresh >= this.options.ttlMs) {
        this.stop();
        this.onLost(
          new DistributedError(
            'ADAMFLOW_ERR_LEASE_LOST',
            raced
              ? `${this.options.key} was taken over by another trainer; this one stops without writing`
              : `${this.options.key} could not be refreshed for ${this.options.ttlMs} ms (${(error as Error).message}); stopping`,
          ),
        );
      }
    }
  }

  private stop(): void {
    this.released = true;
    clearInterval(this.timer);
  }

  /** Stops refreshing without deleting (when the broker cannot be reached); it expires after its TTL. */
  abandon(): void {
    this.stop();
  }

  /** Gives the lease up (deletes the key if it is still ours), so a waiter starts at once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.stop();
    await this.inflight;
    await this.options.kv.delete(this.options.key, { previousSeq: this.revision }).catch(() => {});
  }
}
