// The one list of named synthetic sources. The CLI, the dashboard, the protocol and
// the distributed trainer all take their names, descriptions and specs from here.
// This module imports nothing but the generators and their drift blend (no RxJS, no
// core), so that the protocol can use it from the `@adamflow/stream/catalogue` subpath
// and stay light.
import { blendConcepts } from './drift-blend.js';
import {
  driftSpec,
  linearSpec,
  logisticSpec,
  multilinearSpec,
  resolveSpec,
  type SourceSpec,
} from './generators.js';

/**
 * The names of the catalogued sources, in the order menus list them.
 *
 * @example
 * ```ts
 * import { sourceNames } from '@adamflow/stream/catalogue';
 * sourceNames.join(' | '); // 'seed | multilinear | drift | logistic'
 * ```
 */
export const sourceNames = ['seed', 'multilinear', 'drift', 'logistic'] as const;

/** A catalogued source's name. */
export type SourceName = (typeof sourceNames)[number];

/**
 * Other names accepted for a catalogued source (`linear` is what the CLI called the
 * seed's stream first).
 *
 * @example
 * ```ts
 * import { sourceAliases } from '@adamflow/stream/catalogue';
 * sourceAliases['linear']; // 'seed'
 * ```
 */
export const sourceAliases: Readonly<Record<string, SourceName>> = { linear: 'seed' };

/**
 * Where the `drift` source changes concept, and the width of its sigmoid blend: half
 * way at `position`, 98% of the way `width` samples later.
 *
 * @example
 * ```ts
 * import { DRIFT_CHANGE, findSource } from '@adamflow/stream/catalogue';
 * findSource('drift')!.truth(DRIFT_CHANGE.position); // [2.5, 0.5]
 * ```
 */
export const DRIFT_CHANGE = { position: 10_000, width: 4_000 } as const;

/** A named, seeded synthetic source. */
export interface CataloguedSource {
  /** Its name in menus, flags and on the wire. */
  readonly name: SourceName;
  /** One line: the formula, its parameters and (for drift) where it changes. */
  readonly description: string;
  /** Features per sample. */
  readonly features: number;
  /** Its model: a regression, or a classification with labels 0/1. */
  readonly task: 'regression' | 'classification';
  /**
   * The source's spec with this seed (the same seed, the same samples, bit for bit).
   *
   * @param seed - the PRNG seed, an integer.
   */
  spec(seed: number): SourceSpec;
  /**
   * The true parameters at sample `position` (0-based), intercept first: what a
   * model trained on this source should find.
   *
   * @param position - samples drawn before this one.
   */
  truth(position: number): number[];
}

const fmt = (n: number) => n.toLocaleString('en');

const entries: readonly CataloguedSource[] = [
  preset('seed', 'y = 4 + 3x + N(0, 1), x ~ U[0, 2] (the seed line)', 'regression', (seed) =>
    linearSpec({ seed }),
  ),
  preset(
    'multilinear',
    'y = 4 + 3x1 - 1.5x2 + 0.5x3 + N(0, 0.5^2), x ~ N(0, I), 3 features',
    'regression',
    (seed) => multilinearSpec({ seed, weights: [3, -1.5, 0.5], bias: 4, noise: 0.5 }),
  ),
  preset(
    'drift',
    `y = 4 + 3x + N(0, 1) turning into y = 1 - 2x + N(0, 1) around sample ${fmt(DRIFT_CHANGE.position)} (a sigmoid blend of width ${fmt(DRIFT_CHANGE.width)}), x ~ U[0, 2]`,
    'regression',
    (seed) => driftSpec({ seed, positions: [DRIFT_CHANGE.position], width: DRIFT_CHANGE.width }),
  ),
  preset(
    'logistic',
    'y ~ Bernoulli(sigmoid(-3 + 3x)), x ~ N(0, 1), labels 0/1',
    'classification',
    (seed) => logisticSpec({ seed, weights: [3], bias: -3 }),
  ),
];

/**
 * The catalogue of named synthetic sources, in {@link sourceNames} order.
 *
 * @example
 * ```ts
 * import { sourceCatalogue } from '@adamflow/stream/catalogue';
 * for (const source of sourceCatalogue) console.log(source.name, source.description);
 * ```
 */
export const sourceCatalogue: readonly CataloguedSource[] = entries;

/**
 * Finds a catalogued source by its name or an alias (`linear` for `seed`).
 *
 * @param name - a name from {@link sourceNames}, or an alias from {@link sourceAliases}.
 * @returns the source, or undefined when no source has that name.
 * @example
 * ```ts
 * import { findSource } from '@adamflow/stream/catalogue';
 * findSource('linear')?.name; // 'seed'
 * findSource('drift')?.spec(42).kind; // 'drift'
 * ```
 */
export function findSource(name: string): CataloguedSource | undefined {
  const canonical: string = sourceAliases[name] ?? name;
  return entries.find((entry) => entry.name === canonical);
}

/**
 * The true parameters of any spec at sample `position`, intercept first (the drift
 * source's move along its sigmoid; the others are constant).
 *
 * @param spec - a source spec.
 * @param position - 0-based sample position.
 * @returns intercept, then one weight per feature.
 * @example
 * ```ts
 * import { driftSpec } from '@adamflow/stream';
 * import { trueParams } from '@adamflow/stream/catalogue';
 * trueParams(driftSpec({ positions: [100] }), 200); // [1, -2]
 * ```
 */
export function trueParams(spec: SourceSpec, position: number): number[] {
  switch (spec.kind) {
    case 'linear':
      return [spec.intercept, spec.slope];
    case 'multilinear':
    case 'logistic':
      return [spec.bias, ...spec.weights];
    case 'drift': {
      const weights = new Array<number>(spec.concepts[0]!.weights.length);
      const bias = blendConcepts(spec.concepts, spec.positions, spec.width, position, weights);
      return [bias, ...weights];
    }
  }
}

function preset(
  name: SourceName,
  description: string,
  task: CataloguedSource['task'],
  spec: (seed: number) => SourceSpec,
): CataloguedSource {
  // The truth does not depend on the seed: every preset fixes its coefficients.
  const reference = resolveSpec(spec(0));
  const features =
    reference.kind === 'linear'
      ? 1
      : reference.kind === 'drift'
        ? reference.concepts[0]!.weights.length
        : reference.weights.length;
  return Object.freeze({
    name,
    description,
    features,
    task,
    spec,
    truth: (position: number) => trueParams(reference, position),
  });
}
