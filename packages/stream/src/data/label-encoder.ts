import { StreamError } from '../errors.js';

/** A label as found in data. */
export type Label = string | number | boolean;

/** The plain-data state of a {@link LabelEncoder}, for checkpoints. */
export interface LabelEncoderState {
  /** The labels, in class-index order. */
  classes: Label[];
}

/**
 * Maps labels of any string, number or boolean value to class indices 0, 1, 2, … in the
 * order they are first seen, as River's classifiers do. Its state goes in checkpoints,
 * so a resumed run keeps the same indices.
 *
 * @example
 * ```ts
 * import { LabelEncoder } from '@adamflow/stream';
 * const labels = new LabelEncoder();
 * labels.encode('cat'); // 0
 * labels.encode('dog'); // 1
 * labels.encode('cat'); // 0
 * labels.decode(1); // 'dog'
 * ```
 */
export class LabelEncoder {
  private readonly indices = new Map<Label, number>();
  private readonly labels: Label[] = [];

  /**
   * @param maxClasses - refuse a label past this many classes (a guard against a
   *   regression target read as labels); default 1000.
   */
  constructor(readonly maxClasses = 1000) {
    if (!Number.isInteger(maxClasses) || maxClasses < 1) {
      throw new RangeError(`maxClasses must be a positive integer, got ${String(maxClasses)}`);
    }
  }

  /** The labels seen so far, in class-index order. */
  get classes(): readonly Label[] {
    return this.labels;
  }

  /**
   * @param label - a label.
   * @returns its class index, assigning the next one to a new label.
   */
  encode(label: Label): number {
    const known = this.indices.get(label);
    if (known !== undefined) return known;
    if (this.labels.length >= this.maxClasses) {
      throw new StreamError(
        'ADAMFLOW_ERR_CATEGORY_OVERFLOW',
        `label ${JSON.stringify(label)} would be class ${this.labels.length + 1}, past maxClasses ${this.maxClasses}; is the target a number read as labels?`,
      );
    }
    this.indices.set(label, this.labels.length);
    this.labels.push(label);
    return this.labels.length - 1;
  }

  /**
   * @param index - a class index.
   * @returns its label (undefined for an index not assigned yet).
   */
  decode(index: number): Label | undefined {
    return this.labels[index];
  }

  /** @returns the JSON-safe state. */
  state(): LabelEncoderState {
    return { classes: [...this.labels] };
  }

  /**
   * @param state - from {@link LabelEncoder.state}.
   * @param maxClasses - as in the constructor.
   * @returns an encoder that continues with the same indices.
   */
  static fromState(state: LabelEncoderState, maxClasses?: number): LabelEncoder {
    const classes = (state as { classes?: unknown } | null)?.classes;
    if (!Array.isArray(classes)) {
      throw new StreamError(
        'ADAMFLOW_ERR_CHECKPOINT_INVALID',
        'label encoder state: classes must be an array of labels',
      );
    }
    const encoder = new LabelEncoder(Math.max(maxClasses ?? 1000, classes.length));
    for (const label of classes as Label[]) encoder.encode(label);
    return encoder;
  }
}
