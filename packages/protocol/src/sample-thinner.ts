/** Samples a `params-update` carries at most: 30 updates/s refresh a 400-point scatter in half a second. */
export const MAX_RECENT_PER_UPDATE = 32;

/**
 * The one place scatter samples are thinned: offered every sample a producer draws (a
 * trainer makes millions a second), it keeps at most `limit` of those offered since the
 * last {@link SampleThinner.take}, evenly spaced over them, and hands them out rounded
 * to 4 decimals (the scatter needs no more; full doubles would more than double every
 * frame). Constant memory and no allocation per sample: when full it drops every other
 * kept sample and doubles its stride.
 *
 * @example
 * ```ts
 * import { SampleThinner } from '@adamflow/protocol';
 * const thinner = new SampleThinner();
 * for (let i = 0; i < 1000; i++) thinner.offer(i / 1000, 2 * i);
 * thinner.take(); // { x: [0, 0.032, ...], y: [...] }: 32 evenly spaced pairs
 * ```
 */
export class SampleThinner {
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private count = 0;
  private stride = 1;
  private offered = 0;

  /** @param limit - pairs kept at most, 1 to 1024; default {@link MAX_RECENT_PER_UPDATE}. */
  constructor(private readonly limit = MAX_RECENT_PER_UPDATE) {
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= 1024)) {
      throw new RangeError(`limit must be an integer from 1 to 1024, got ${String(limit)}`);
    }
    // Room for twice the limit: it halves only when full, so once past `limit` offers it
    // holds between `limit` and 2 x `limit` evenly spaced pairs for `take` to spread.
    this.x = new Float64Array(limit * 2);
    this.y = new Float64Array(limit * 2);
  }

  /** Offers one pair (e.g. a sample's first feature and its target). */
  offer(x: number, y: number): void {
    if (this.offered++ % this.stride !== 0) return;
    this.x[this.count] = x;
    this.y[this.count] = y;
    this.count++;
    if (this.count === this.x.length) {
      for (let i = 0; i < this.count / 2; i++) {
        this.x[i] = this.x[2 * i]!;
        this.y[i] = this.y[2 * i]!;
      }
      this.count /= 2;
      this.stride *= 2;
    }
  }

  /** Pairs offered since the last take. */
  get size(): number {
    return this.offered;
  }

  /**
   * @returns at most `limit` of the pairs offered since the last take, evenly spaced,
   *   rounded to 4 decimals; then starts over.
   */
  take(): { x: number[]; y: number[] } {
    const count = Math.min(this.limit, this.count);
    const step = this.count / Math.max(count, 1);
    const out = { x: new Array<number>(count), y: new Array<number>(count) };
    for (let i = 0; i < count; i++) {
      const j = Math.floor(i * step);
      out.x[i] = Math.round(this.x[j]! * 1e4) / 1e4;
      out.y[i] = Math.round(this.y[j]! * 1e4) / 1e4;
    }
    this.count = 0;
    this.stride = 1;
    this.offered = 0;
    return out;
  }
}
