import { StreamError } from '../errors.js';
import { numberAt, type Stage, type StageSpec } from './stage.js';

/** Options of {@link oneHot}. */
export interface OneHotOptions {
  /** The input positions (0-based indices into `x`) holding categories (text or numbers). */
  columns: readonly number[];
  /**
   * The most categories any one column may take: each column becomes this many 0/1
   * outputs, so the feature vector (and the model after it) has a fixed width.
   */
  maxCategories: number;
}

/**
 * One-hot encoding of categorical columns, with categories discovered online (River's
 * `preprocessing.OneHotEncoder`) but a fixed output width, so that the model's
 * parameter vector never grows: each listed column is replaced, in place, by
 * `maxCategories` outputs, the k-th being 1 when the value is the k-th category seen in
 * that column. The other columns pass through. A category not learned yet transforms to
 * all zeros; learning a category past `maxCategories` throws
 * `ADAMFLOW_ERR_CATEGORY_OVERFLOW` (raise the maximum). Output width:
 * `inputs - columns.length + columns.length * maxCategories`.
 *
 * @param options - {@link OneHotOptions}.
 * @returns the stage spec.
 * @example
 * ```ts
 * import { oneHot } from '@adamflow/stream';
 * const encoder = oneHot({ columns: [1], maxCategories: 3 }).build(2);
 * encoder.learn([0.5, 'red']);
 * encoder.learn([0.5, 'blue']);
 * const out = new Float64Array(encoder.outputs);
 * encoder.transform([0.5, 'blue'], out); // [0.5, 0, 1, 0]
 * ```
 */
export function oneHot(options: OneHotOptions): StageSpec {
  const columns = [...(options?.columns ?? [])];
  const max = options?.maxCategories;
  if (columns.length === 0 || !columns.every((c) => Number.isInteger(c) && c >= 0)) {
    throw new TypeError(
      `oneHot: columns must list input positions (integers >= 0), got ${JSON.stringify(options?.columns)}`,
    );
  }
  if (new Set(columns).size !== columns.length) {
    throw new TypeError(`oneHot: columns repeats a position: ${JSON.stringify(columns)}`);
  }
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`oneHot: maxCategories must be a positive integer, got ${String(max)}`);
  }
  return {
    kind: 'one-hot',
    options: { columns, maxCategories: max },
    build: (inputs) => new OneHot(inputs, columns, max),
  };
}

class OneHot implements Stage {
  readonly kind = 'one-hot';
  readonly outputs: number;
  // Per input position: -1 for a numeric column, else its slot in `categories`.
  private readonly slot: Int32Array;
  private readonly categories: Map<string, number>[];

  constructor(
    readonly inputs: number,
    columns: number[],
    private readonly max: number,
  ) {
    const outside = columns.find((c) => c >= inputs);
    if (outside !== undefined) {
      throw new RangeError(`oneHot: column ${outside} is past the ${inputs} inputs`);
    }
    this.slot = new Int32Array(inputs).fill(-1);
    columns.forEach((c, k) => {
      this.slot[c] = k;
    });
    this.categories = columns.map(() => new Map());
    this.outputs = inputs - columns.length + columns.length * max;
  }

  learn(x: ArrayLike<number | string>): void {
    // Check every column first, so a refused row changes nothing.
    const fresh: [Map<string, number>, string][] = [];
    for (let j = 0; j < this.inputs; j++) {
      const k = this.slot[j]!;
      if (k < 0) {
        numberAt(x, j, this.kind);
        continue;
      }
      const seen = this.categories[k]!;
      const key = String(x[j]);
      if (seen.has(key)) continue;
      if (seen.size >= this.max) {
        throw new StreamError(
          'ADAMFLOW_ERR_CATEGORY_OVERFLOW',
          `oneHot: input ${j} has a category ${JSON.stringify(key)} past maxCategories ${this.max}; raise maxCategories`,
        );
      }
      fresh.push([seen, key]);
    }
    for (const [seen, key] of fresh) seen.set(key, seen.size);
  }

  transform(x: ArrayLike<number | string>, out: Float64Array): void {
    let o = 0;
    for (let j = 0; j < this.inputs; j++) {
      const k = this.slot[j]!;
      if (k < 0) {
        out[o++] = numberAt(x, j, this.kind);
        continue;
      }
      const index = this.categories[k]!.get(String(x[j]));
      for (let c = 0; c < this.max; c++) out[o + c] = c === index ? 1 : 0;
      o += this.max;
    }
  }

  state() {
    return { categories: this.categories.map((seen) => [...seen.keys()]) };
  }

  loadState(state: Parameters<Stage['loadState']>[0]): void {
    const lists = (state as { categories?: unknown } | null)?.categories;
    if (
      !Array.isArray(lists) ||
      lists.length !== this.categories.length ||
      !lists.every(
        (l) => Array.isArray(l) && l.length <= this.max && l.every((v) => typeof v === 'string'),
      )
    ) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        `one-hot state: categories must be ${this.categories.length} lists of at most ${this.max} strings`,
      );
    }
    lists.forEach((list: string[], k) => {
      const seen = this.categories[k]!;
      seen.clear();
      for (const key of list) seen.set(key, seen.size);
    });
  }
}
