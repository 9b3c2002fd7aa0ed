import { type RateLimit, TokenBucket } from './rate-limiter.js';

/** Limits of an {@link AddressTable}. */
export interface AddressLimits {
  /** Open WebSocket connections per remote address. */
  connections: number;
  /** New connections per remote address (a reconnect loop is not free for the server). */
  connects: RateLimit;
  /** Wrong control tokens per remote address, across reconnects. */
  tokenChecks: RateLimit;
  /** Addresses remembered at most; beyond it new addresses are refused until some leave. */
  addresses: number;
}

interface Entry {
  connections: number;
  connects: TokenBucket;
  tokenChecks: TokenBucket | undefined;
}

/**
 * What the server remembers per remote address, so that reconnecting does not reset
 * a limit: open connections (capped), the rate of new ones, and wrong control tokens.
 * Entries are dropped once they hold nothing (no connection, a full bucket), and the
 * table itself is bounded.
 *
 * @example
 * ```ts
 * const table = new AddressTable({
 *   connections: 64,
 *   connects: { capacity: 64, perSecond: 16 },
 *   tokenChecks: { capacity: 10, perSecond: 1 },
 *   addresses: 10_000,
 * });
 * if (!table.admit('127.0.0.1')) refuse(429);
 * ```
 */
export class AddressTable {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly limits: AddressLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Counts a new connection from `address`; false (and nothing counted) when it has
   * as many open as allowed, or has opened them too fast.
   */
  admit(address: string): boolean {
    const entry = this.entry(address);
    if (!entry || entry.connections >= this.limits.connections) return false;
    if (!entry.connects.take()) {
      this.dropIfEmpty(address, entry);
      return false;
    }
    entry.connections++;
    return true;
  }

  /** Forgets one connection from `address`. */
  release(address: string): void {
    const entry = this.entries.get(address);
    if (!entry) return;
    entry.connections = Math.max(0, entry.connections - 1);
    this.dropIfEmpty(address, entry);
  }

  /**
   * Whether `address` may have a control token checked now: false once its wrong
   * guesses have used the budget. Asked before comparing, so that past the budget
   * even the right token gets no answer (a guesser learns nothing).
   */
  mayCheckToken(address: string): boolean {
    const checks = this.entries.get(address)?.tokenChecks;
    return checks === undefined || checks.available();
  }

  /** Charges a wrong control token to `address`. */
  tokenFailed(address: string): void {
    const entry = this.entry(address);
    if (!entry) return;
    entry.tokenChecks ??= new TokenBucket(
      this.limits.tokenChecks.capacity,
      this.limits.tokenChecks.perSecond,
      this.now,
    );
    entry.tokenChecks.take();
  }

  /** Open connections from `address`. */
  connections(address: string): number {
    return this.entries.get(address)?.connections ?? 0;
  }

  /** Addresses remembered. */
  get size(): number {
    return this.entries.size;
  }

  private entry(address: string): Entry | undefined {
    let entry = this.entries.get(address);
    if (entry) return entry;
    if (this.entries.size >= this.limits.addresses) {
      for (const [key, value] of this.entries) this.dropIfEmpty(key, value);
      if (this.entries.size >= this.limits.addresses) return undefined;
    }
    entry = {
      connections: 0,
      connects: new TokenBucket(
        this.limits.connects.capacity,
        this.limits.connects.perSecond,
        this.now,
      ),
      tokenChecks: undefined,
    };
    this.entries.set(address, entry);
    return entry;
  }

  private dropIfEmpty(address: string, entry: Entry): void {
    if (
      entry.connections === 0 &&
      entry.connects.full() &&
      (entry.tokenChecks === undefined || entry.tokenChecks.full())
    ) {
      this.entries.delete(address);
    }
  }
}
