/** One serialized frame and its `seq`. */
export interface RingFrame {
  seq: number;
  data: Buffer;
}

/**
 * The most recent frames of a session, serialized, in `seq` order, at most
 * `capacity` of them. It knows from which stream sequence it is complete
 * ({@link FrameRing.from}): a skipped broker message leaves a hole in `seq` but not
 * in what the ring can replay.
 *
 * @example
 * ```ts
 * import { FrameRing } from './frame-ring.js';
 * const ring = new FrameRing(256, 1);
 * ring.push({ seq: 1, data: Buffer.from('{}') });
 * ring.holds(0); // true: everything after seq 0 is here
 * ring.after(0); // [{ seq: 1, ... }]
 * ```
 */
export class FrameRing {
  private frames: RingFrame[] = [];
  private start = 0;
  private complete: number;

  /**
   * @param capacity - frames kept at most.
   * @param from - the first stream sequence this ring will see.
   */
  constructor(
    readonly capacity: number,
    from: number,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring size must be an integer >= 1, got ${capacity}`);
    }
    this.complete = from;
  }

  /** Every frame of a stream sequence `>= from` is held. */
  get from(): number {
    return this.complete;
  }

  /** Adds the newest frame, dropping the oldest beyond capacity. */
  push(frame: RingFrame): void {
    this.frames.push(frame);
    if (this.frames.length - this.start > this.capacity) {
      this.complete = this.frames[this.start]!.seq + 1;
      this.start++;
    }
    // Compact now and then rather than shift() per frame.
    if (this.start >= this.capacity) {
      this.frames = this.frames.slice(this.start);
      this.start = 0;
    }
  }

  /** Whether every frame after stream sequence `seq` is held. */
  holds(seq: number): boolean {
    return seq + 1 >= this.complete;
  }

  /** The frames with `seq > after`, in order. */
  after(after: number): RingFrame[] {
    const out: RingFrame[] = [];
    for (let i = this.start; i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (frame.seq > after) out.push(frame);
    }
    return out;
  }

  /** Frames held. */
  get size(): number {
    return this.frames.length - this.start;
  }
}
