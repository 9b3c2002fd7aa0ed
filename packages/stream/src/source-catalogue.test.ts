import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createGenerator, driftSpec, type SourceSpec } from './generators.js';
import {
  DRIFT_CHANGE,
  findSource,
  sourceAliases,
  sourceCatalogue,
  sourceNames,
  trueParams,
} from './source-catalogue.js';

/** The spec with its noise off, so that targets are exactly the true line. */
function noiseless(spec: SourceSpec): SourceSpec {
  return spec.kind === 'logistic' ? { ...spec, separable: true } : { ...spec, noise: 0 };
}

/** intercept + w · x, summed in the generators' order. */
const line = (params: number[], x: readonly number[]) =>
  x.reduce((sum, xj, j) => sum + params[j + 1]! * xj, params[0]!);

describe('the source catalogue', () => {
  it('lists every name once, in sourceNames order, each with a one-line description', () => {
    expect(sourceCatalogue.map((source) => source.name)).toEqual([...sourceNames]);
    for (const source of sourceCatalogue) {
      expect(source.description).toMatch(/^[^\n]{10,200}$/);
    }
  });

  it('gives each source its declared feature count and the same samples for the same seed', () => {
    const shapes = sourceCatalogue.map((source) => {
      const a = createGenerator(source.spec(7));
      const b = createGenerator(source.spec(7));
      const c = createGenerator(source.spec(8));
      const first = a.next();
      return {
        features: [source.features, a.features, first.x.length],
        same: JSON.stringify(first) === JSON.stringify(b.next()),
        other: JSON.stringify(first) === JSON.stringify(c.next()),
      };
    });
    expect(shapes).toEqual(
      sourceCatalogue.map((source) => ({
        features: [source.features, source.features, source.features],
        same: true,
        other: false,
      })),
    );
  });

  it("states each source's true parameters at every position (the generator's own targets without noise)", () => {
    const worst = sourceCatalogue.map((source) => {
      const generator = createGenerator(noiseless(source.spec(3)));
      let error = 0;
      for (let i = 0; i < 2 * DRIFT_CHANGE.position; i += 1 + (i % 7)) {
        // Skip ahead to sample i (the generator counts positions itself).
        while (generator.position < i) generator.next();
        const sample = generator.next();
        const z = line(source.truth(i), sample.x);
        error = Math.max(
          error,
          source.task === 'classification'
            ? Number((z > 0 ? 1 : 0) !== sample.y)
            : Math.abs(z - sample.y),
        );
      }
      return error;
    });
    expect(worst.every((error) => error < 1e-12)).toBe(true);
  });

  it('drifts at its stated position: half way there at the change, nearly all the way a width later', () => {
    const drift = findSource('drift')!;
    const [before, at, after] = [
      0,
      DRIFT_CHANGE.position,
      DRIFT_CHANGE.position + DRIFT_CHANGE.width,
    ].map((position) => drift.truth(position));
    expect(before).toEqual([expect.closeTo(4, 3), expect.closeTo(3, 3)]);
    expect(at).toEqual([2.5, 0.5]);
    expect(after![0]!).toBeCloseTo(1 + 3 / (1 + Math.exp(4)), 12);
    expect(drift.description).toContain(DRIFT_CHANGE.position.toLocaleString('en'));
  });

  it('finds sources by name or alias, and nothing else', () => {
    expect(findSource('linear')).toBe(findSource('seed'));
    expect(Object.entries(sourceAliases)).toEqual([['linear', 'seed']]);
    expect([findSource('sine'), findSource('toString'), findSource('__proto__')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('trueParams of an abrupt drift jumps at the position', () => {
    const spec = findSource('drift')!.spec(1);
    const abrupt = { ...spec, width: 0 } as SourceSpec;
    expect([
      trueParams(abrupt, DRIFT_CHANGE.position - 1),
      trueParams(abrupt, DRIFT_CHANGE.position),
    ]).toEqual([
      [4, 3],
      [1, -2],
    ]);
  });

  it("trueParams is the drift generator's line at each position, bitwise, through two gradual changes", () => {
    const spec = driftSpec({
      noise: 0,
      concepts: [
        { bias: 4, weights: [3, -1] },
        { bias: 1, weights: [-2, 0.5] },
        { bias: -3, weights: [0.25, 2] },
      ],
      positions: [30, 70],
      width: 25,
    });
    const generator = createGenerator(spec);
    const misses: string[] = [];
    for (let position = 0; position < 120; position++) {
      const { x, y } = generator.next();
      const z = line(trueParams(spec, position), x);
      if (z !== y) misses.push(`${position}: ${z} != ${y}`);
    }
    expect(misses).toEqual([]);
  });

  it('imports nothing but its own modules (the protocol uses it: no RxJS, no core)', () => {
    const seen = new Set<string>();
    const bare: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(new URL(file, import.meta.url), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      for (const [, target] of code.matchAll(
        /^(?:import|export)\b(?:[^;'"]*?\bfrom)?\s*'([^']+)'/gm,
      )) {
        if (target!.startsWith('./')) visit(target!.replace(/\.js$/, '.ts'));
        else bare.push(`${file} imports ${target}`);
      }
    };
    visit('./source-catalogue.ts');
    expect(bare).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
  });
});
