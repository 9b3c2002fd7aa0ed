#!/usr/bin/env node
// `pnpm seed`: replays the seed tutorial's experiment and writes its picture.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderSvg } from './render-svg.js';
import { leastSquares, replicate } from './replicate.js';
import { loadSeedData } from './seed-data.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? 'out/seed-linear-regression.svg');
const data = loadSeedData();
const format = (theta: ArrayLike<number>) => `[${Array.from(theta, String).join(', ')}]`;

console.log(
  `Seed experiment: ${data.x.length} points, Adam lr=${data.hyperparameters.lr}, ${data.hyperparameters.iterations} iterations`,
);
console.log(`iteration     0  theta = ${format(data.theta0)}`);
const theta = replicate(data, (iteration, current) => {
  if (iteration % 100 === 0) {
    console.log(`iteration ${String(iteration).padStart(5)}  theta = ${format(current)}`);
  }
});
const optimum = leastSquares(data.x, data.y);
console.log(`final theta           ${format(theta)}  (intercept, slope)`);
console.log(`least-squares optimum ${format(optimum)}`);
mkdirSync(resolve(out, '..'), { recursive: true });
writeFileSync(out, renderSvg({ x: data.x, y: data.y, theta }));
console.log(`plot written to ${out}`);
