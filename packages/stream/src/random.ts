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
    // Kept small on purpose: V8 inlines a caller's callees only up to a total bytecode
    // size, and normal() inlines this up to four times. `(a * k) | 0` is Math.imul for
    // the small k here (the product is below 2^53, so exact), with no builtin call.
    const s = this.s;
    const s1 = s[1]!;
    const s2 = s[2]! ^ s[0]!;
    const s3 = s[3]! ^ s1;
    const x = (s1 * 5) | 0;
    const y = (((x << 7) | (x >>> 25)) * 9) | 0;
    s[0] = s[0]! ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = (s3 << 11) | (s3 >>> 21);
    return y >>> 0;
  }

  /** @returns a double uniform in [0, 1), with 53 random bits. */
  uniform(): number {
    // (a >>> 5) * 2^26 + (b >>> 6) for two outputs a, b, over 2^53. A loop gives
    // nextUint32 one call site instead of two (see normal()).
    let bits = 0;
    for (let k = 0; k < 2; k++) {
      const word = this.nextUint32();
      bits = k === 0 ? (word >>> 5) * 67108864 : bits + (word >>> 6);
    }
    return bits / 9007199254740992;
  }

  /** @returns a standard normal deviate (polar method). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareValue;
    }
    // Draws u, v, u, v, ... until (u, v) is inside the unit circle and not its centre.
    // One call site of uniform(), not two: V8 inlines a function's callees only up to
    // a total bytecode size, and the generators' loops (draw -> uniform, normal ->
    // uniform -> nextUint32) went past it, leaving calls in the hottest loop.
    let u = 0;
    let v = 0;
    let s = 0;
    for (let k = 0; ; k ^= 1) {
      const w = 2 * this.uniform() - 1;
      if (k === 0) {
        u = w;
        continue;
      }
      v = w;
      s = u * u + v * v;
      if (s < 1 && s !== 0) break;
    }
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.hasSpare = true;
    this.spareValue = v * factor;
    return u * factor;
  }
}
