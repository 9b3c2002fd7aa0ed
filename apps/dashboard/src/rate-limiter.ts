/** Burst size and refill rate of a {@link TokenBucket}. */
export interface RateLimit {
  capacity: number;
  perSecond: number;
}

/**
 * A token bucket: `capacity` messages at once, refilled at `perSecond`.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(10, 5);
 * if (!bucket.take()) reject();
 * ```
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** @returns true if a token was available (and takes it). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether a token is available, without taking it. */
  available(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Whether the bucket has refilled completely (nothing to remember about its owner). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.last) / 1000) * this.perSecond,
    );
    this.last = now;
  }
}
