import { Observable } from 'rxjs';
import {
  createGenerator,
  type DriftOptions,
  driftSpec,
  type GeneratorState,
  type LinearOptions,
  type LogisticOptions,
  linearSpec,
  logisticSpec,
  type MultilinearOptions,
  multilinearSpec,
  resolveSpec,
  restoreGenerator,
  type Sample,
  type SampleBatch,
  type SourceSpec,
} from './generators.js';
import { checkPumpOptions, type PumpOptions, startPump } from './pump.js';

/** How a source runs: pacing, scheduler, and where to start. */
export interface SourceOptions extends PumpOptions {
  /** Continue from a generator state (a checkpoint) instead of the start. */
  from?: GeneratorState;
}

const SOURCE_KEYS = ['rate', 'scheduler', 'sliceMs', 'maxBatch', 'from'] as const;

function split<T extends object>(options: T & SourceOptions): [T, SourceOptions] {
  const spec: Record<string, unknown> = {};
  const source: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if ((SOURCE_KEYS as readonly string[]).includes(key)) source[key] = value;
    else spec[key] = value;
  }
  return [spec as T, source as SourceOptions];
}

/**
 * An Observable of samples from any {@link SourceSpec}. Each subscription runs its own
 * generator from the start (or from `options.from`): the same spec and seed give the
 * same samples, bit for bit. Emits in batches per macrotask and checks for
 * unsubscription before every sample; never completes.
 *
 * @param spec - what to generate.
 * @param options - pacing, scheduler, start state.
 * @returns a cold, infinite Observable of samples.
 * @example
 * ```ts
 * import { take } from 'rxjs';
 * import { sampleSource, linearSpec } from '@adamflow/stream';
 * sampleSource(linearSpec({ seed: 1 }), { rate: 100 }).pipe(take(10)).subscribe(console.log);
 * ```
 */
export function sampleSource(spec: SourceSpec, options: SourceOptions = {}): Observable<Sample> {
  const resolved = resolveSpec(spec);
  checkPumpOptions(options);
  if (options.from !== undefined) restoreGenerator(options.from); // fail at call time, not later
  return new Observable<Sample>((subscriber) => {
    const generator = options.from ? restoreGenerator(options.from) : createGenerator(resolved);
    const pump = startPump(
      () => subscriber.closed,
      () => subscriber.next(generator.next()),
      options,
    );
    return () => pump.stop();
  });
}

/**
 * Like {@link sampleSource}, but each emission is a {@link SampleBatch} of `size`
 * consecutive samples (the same samples, bit for bit, as the one-by-one stream).
 * For minibatch training: one RxJS emission per minibatch instead of one per sample.
 *
 * @param spec - what to generate.
 * @param size - samples per emission (a positive integer).
 * @param options - pacing (in batches per second), scheduler, start state.
 * @returns a cold, infinite Observable of sample batches.
 * @example
 * ```ts
 * import { batchedSource, linearSpec, trainOnline, linearRegression } from '@adamflow/stream';
 * batchedSource(linearSpec(), 32).pipe(trainOnline({ model: linearRegression(), optimizer: 'adam', batchSize: 32 }));
 * ```
 */
export function batchedSource(
  spec: SourceSpec,
  size: number,
  options: SourceOptions = {},
): Observable<SampleBatch> {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`batchedSource: size must be a positive integer, got ${String(size)}`);
  }
  const resolved = resolveSpec(spec);
  checkPumpOptions(options);
  if (options.from !== undefined) restoreGenerator(options.from);
  return new Observable<SampleBatch>((subscriber) => {
    const generator = options.from ? restoreGenerator(options.from) : createGenerator(resolved);
    const pump = startPump(
      () => subscriber.closed,
      () => subscriber.next(generator.nextBatch(size)),
      options,
    );
    return () => pump.stop();
  });
}

/**
 * The seed's stream: `x ~ U(0, 2)`, `y = 4 + 3x + N(0, 1)`; every number configurable.
 *
 * @param options - {@link LinearOptions} and {@link SourceOptions}; default seed 42.
 * @returns an infinite Observable of samples with one feature.
 * @example
 * ```ts
 * import { take } from 'rxjs';
 * import { linearSource } from '@adamflow/stream';
 * linearSource({ seed: 42 }).pipe(take(3)).subscribe((s) => console.log(s.x[0], s.y));
 * ```
 */
export function linearSource(options: LinearOptions & SourceOptions = {}): Observable<Sample> {
  const [spec, source] = split(options);
  return sampleSource(linearSpec(spec), source);
}

/**
 * Multivariate linear regression: `x ~ N(0, I)`, `y = bias + w · x + noise N(0, 1)`,
 * with `weights` given or drawn from the seed (`features` of them).
 *
 * @param options - {@link MultilinearOptions} and {@link SourceOptions}.
 * @returns an infinite Observable of samples.
 * @example
 * ```ts
 * import { multilinearSource } from '@adamflow/stream';
 * const source = multilinearSource({ features: 10, seed: 3 });
 * ```
 */
export function multilinearSource(
  options: MultilinearOptions & SourceOptions = {},
): Observable<Sample> {
  const [spec, source] = split(options);
  return sampleSource(multilinearSpec(spec), source);
}

/**
 * Logistic classification: labels drawn from `sigmoid(bias + w · x)`, or its sign
 * with `separable: true`.
 *
 * @param options - {@link LogisticOptions} and {@link SourceOptions}.
 * @returns an infinite Observable of samples with labels 0/1.
 * @example
 * ```ts
 * import { logisticSource } from '@adamflow/stream';
 * const source = logisticSource({ features: 2, separable: true });
 * ```
 */
export function logisticSource(options: LogisticOptions & SourceOptions = {}): Observable<Sample> {
  const [spec, source] = split(options);
  return sampleSource(logisticSpec(spec), source);
}

/**
 * Concept drift: the true line changes abruptly or gradually at given positions.
 *
 * @param options - {@link DriftOptions} and {@link SourceOptions}.
 * @returns an infinite Observable of samples.
 * @example
 * ```ts
 * import { driftSource } from '@adamflow/stream';
 * const source = driftSource({ positions: [10_000], width: 500 });
 * ```
 */
export function driftSource(options: DriftOptions & SourceOptions = {}): Observable<Sample> {
  const [spec, source] = split(options);
  return sampleSource(driftSpec(spec), source);
}
