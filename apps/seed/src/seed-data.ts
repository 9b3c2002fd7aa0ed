import { readFileSync } from 'node:fs';

/** The seed experiment's data set and results (data/linear-regression.json). */
export interface SeedData {
  hyperparameters: { lr: number; beta1: number; beta2: number; eps: number; iterations: number };
  x: number[];
  y: number[];
  /** Initial parameters, intercept first. */
  theta0: [number, number];
  checkpoints: { iteration: number; theta: [number, number] }[];
  least_squares_solution: [number, number];
}

/**
 * Loads the seed tutorial's exact data set (numpy's legacy generator, seed 0).
 *
 * @returns the parsed data.
 * @example
 * ```ts
 * const data = loadSeedData();
 * data.x.length; // 100
 * ```
 */
export function loadSeedData(): SeedData {
  const url = new URL('../data/linear-regression.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as SeedData;
}
