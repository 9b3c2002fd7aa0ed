/** The complete state of a {@link Random}: JSON-safe, restores bit for bit. */
export interface RandomState {
  /** xoshiro128** state words (unsigned 32-bit integers). */
  s: [number, number, number, number];
  /** The second normal deviate of the last polar-method pair, or null. */
  spare: number | null;
}

/**
 * A small, specified, seeded PRNG whose output is the same bit for bit on every
 * machine and JavaScript engine.
 *
 * - Generator: xoshiro128** (Blackman & Vigna), 32-bit words, seeded by running
 *   SplitMix32 from the 32-bit seed to fill its four state words. Integer arithmetic
 *   only (`Math.imul`, shifts), so it is exact everywhere.
 * - Uniform doubles in [0, 1): 53 bits from two outputs, `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53`.
 * - Normal deviates: Marsaglia's polar method (pairs; the spare is cached). It uses
 *   only `+ - * /`, `Math.sqrt` (correctly rounded by IEEE 754) and `Math.log`, which
 *   V8 and SpiderMonkey both compute with the same fdlibm port.
 *
 * @example
 * ```ts
 * import { Random } from '@adamflow/stream';
 * const random = new Random(42);
 * const u = random.uniform(); // in [0, 1)
 * const n = random.normal();  // N(0, 1)
 * const again = Random.fromState(random.state()); // continues identically
 * ```
 */
export class Random {
  // State in a typed array: uint32 words above 2^30 would be boxed as heap numbers in
  // object fields, which made every draw allocate.
  private readonly s = new Uint32Array(4);
  private hasSpare = false;
  private spareValue = 0;

  /**
   * @param seed - any integer; only its low 32 bits matter.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) {
      throw new TypeError(`Random: seed must be an integer, got ${String(seed)}`);
    }
    let x = seed >>> 0;
    const next = () => {
      // SplitMix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = next();
  }

  /**
   * Restores a generator from {@link Random.state}.
   *
   * @param state - a state snapshot.
   * @returns a generator that continues exactly where the snapshot was taken.
   */
  static fromState(state: RandomState): Random {
    const words = state?.s;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
      words.every((w) => w === 0) ||
      !(state.spare === null || typeof state.spare === 'number')
    ) {
      throw new TypeError(
        'Random.fromState: expected { s: four uint32 words, not all 0; spare: number | null }',
      );
    }
    const random = new Random(0);
    random.s.set(words);
    random.hasSpare = state.spare !== null;
    random.spareValue = state.spare ?? 0;
    return random;
  }

  /** @returns the complete state, for checkpoints. */
  state(): RandomState {
    const [a, b, c, d] = this.s as unknown as [number, number, number, number];
    return { s: [a, b, c, d], spare: this.hasSpare ? this.spareValue : null };
  }

  /** @returns the next unsigned 32-bit integer (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]! ^ s0;
    const s3 = s[3]! ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    s[0] = s0 ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = rotl(s3, 11);
    return result;
  }

  /** @returns a double uniform in [0, 1), with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** @returns a standard normal deviate (polar method). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareValue;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.hasSpare = true;
    this.spareValue = v * factor;
    return u * factor;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
