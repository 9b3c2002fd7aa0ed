/** One point of the loss and parameter history. */
export interface HistoryPoint {
  step: number;
  loss: number;
  lossEma: number;
  params: number[];
}

/**
 * A bounded, evenly downsampled history: it keeps at most `limit` points; when full
 * it drops every other point and doubles its stride, so it always spans the whole
 * run at roughly uniform spacing (memory O(limit) for any run length).
 *
 * @example
 * ```ts
 * const history = new History(1000);
 * history.add({ step: 1, loss: 2, lossEma: 2, params: [0, 0] });
 * ```
 */
export class History {
  private points: HistoryPoint[] = [];
  private stride = 1;
  private counter = 0;

  constructor(private readonly limit: number) {}

  /** Offers a point; kept if it falls on the current stride. */
  add(point: HistoryPoint): void {
    if (this.counter++ % this.stride !== 0) return;
    this.points.push(point);
    if (this.points.length >= this.limit) {
      this.points = this.points.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  /** Forgets everything (after a reset or a new source). */
  clear(): void {
    this.points = [];
    this.stride = 1;
    this.counter = 0;
  }

  /** The history as columns, as the protocol's snapshot carries it. */
  columns(parameters: number): {
    step: number[];
    loss: number[];
    lossEma: number[];
    params: number[][];
  } {
    const kept = this.points.filter((p) => p.params.length === parameters);
    return {
      step: kept.map((p) => p.step),
      loss: kept.map((p) => p.loss),
      lossEma: kept.map((p) => p.lossEma),
      params: Array.from({ length: parameters }, (_, j) => kept.map((p) => p.params[j]!)),
    };
  }

  get size(): number {
    return this.points.length;
  }
}
