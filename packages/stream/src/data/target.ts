import { type Label, LabelEncoder } from './label-encoder.js';

/**
 * How an adapter reads the target column: `'number'` (regression, or 0/1 classes
 * written as numbers), `'boolean'` (`true`/`false`, `yes`/`no`, `1`/`0` → 1/0), or
 * `'category'` (any label, mapped to class indices in order of first appearance by a
 * {@link LabelEncoder}).
 */
export type TargetType = 'number' | 'boolean' | 'category';

const TRUE = new Set(['true', 'yes', '1', '1.0', 't', 'y']);
const FALSE = new Set(['false', 'no', '0', '0.0', 'f', 'n']);

/** @internal Reads targets of one type; NaN means "not a valid target". */
export class TargetReader {
  readonly labels: LabelEncoder | null;

  constructor(
    readonly type: TargetType,
    labels: LabelEncoder | undefined,
  ) {
    if (type !== 'number' && type !== 'boolean' && type !== 'category') {
      throw new TypeError(
        `targetType must be 'number', 'boolean' or 'category', got ${JSON.stringify(type)}`,
      );
    }
    this.labels = type === 'category' ? (labels ?? new LabelEncoder()) : null;
  }

  /** What a valid value looks like, for error messages. */
  get expected(): string {
    return this.type === 'number'
      ? 'a number'
      : this.type === 'boolean'
        ? 'a boolean (true/false, yes/no, 1/0)'
        : 'a label';
  }

  read(value: unknown): number {
    if (this.type === 'number') return toNumber(value);
    if (this.type === 'boolean') {
      if (typeof value === 'boolean') return value ? 1 : 0;
      const text = String(value).trim().toLowerCase();
      return TRUE.has(text) ? 1 : FALSE.has(text) ? 0 : Number.NaN;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return Number.NaN;
    }
    if (value === '') return Number.NaN;
    return this.labels!.encode(value as Label);
  }
}

/** @internal A finite number from a number or its text; NaN for anything else ('' included). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value - value === 0 ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const n = +value;
  if (n - n !== 0) return Number.NaN;
  // +'' and +'  ' are 0: only then is the text worth a second look.
  if (n === 0 && value.trim() === '') return Number.NaN;
  return n;
}
