import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSvg } from './render-svg.js';
import { leastSquares, replicate } from './replicate.js';
import { loadSeedData } from './seed-data.js';

const data = loadSeedData();

describe('seed replication', () => {
  it('reproduces every checkpoint of the seed script to 1e-12 relative', () => {
    const seen = new Map<number, number[]>();
    replicate(data, (iteration, theta) => seen.set(iteration, Array.from(theta)));
    let worst = 0;
    for (const { iteration, theta } of data.checkpoints) {
      const ours = seen.get(iteration)!;
      theta.forEach((expected, i) => {
        worst = Math.max(worst, Math.abs(ours[i]! - expected) / Math.abs(expected));
      });
    }
    console.log(
      `[seed] worst relative error over checkpoints 1/10/100/1000: ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThanOrEqual(1e-12);
  });

  it('ends at the seed final theta', () => {
    const theta = replicate(data);
    expect(theta[0]).toBeCloseTo(4.222150563870542, 12);
    expect(theta[1]).toBeCloseTo(2.9684679704452135, 12);
  });

  it('the normal equations give the seed least-squares solution', () => {
    const [b, w] = leastSquares(data.x, data.y);
    expect(b).toBeCloseTo(data.least_squares_solution[0], 10);
    expect(w).toBeCloseTo(data.least_squares_solution[1], 10);
  });
});

describe('the seed picture', () => {
  const svg = renderSvg({ x: data.x, y: data.y, theta: [4.2, 2.97] });
  it('holds all 100 points at their data values', () => {
    const points = [
      ...svg.matchAll(/<circle class="point"[^>]*data-x="([^"]+)" data-y="([^"]+)"/g),
    ];
    expect(points).toHaveLength(100);
    points.forEach((m, i) => {
      expect(Number(m[1])).toBe(data.x[i]);
      expect(Number(m[2])).toBe(data.y[i]);
    });
  });
  it('draws the fitted line in red, with title and axis labels', () => {
    expect(svg).toMatch(
      /<line class="fit"[^>]*stroke="red"[^>]*data-intercept="4.2" data-slope="2.97"/,
    );
    expect(svg).toContain('>Linear Regression</text>');
    expect(svg).toMatch(/class="x-label"[^>]*>X</);
    expect(svg).toMatch(/class="y-label"[^>]*>y</);
  });
  it('places the line endpoints on y = b + w x in screen space', () => {
    const m = svg.match(
      /<line class="fit" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/,
    )!;
    const [x1, y1, x2, y2] = m.slice(1).map(Number);
    expect(x2! > x1!).toBe(true);
    expect(y2! < y1!).toBe(true); // rising line, SVG y grows downward
  });
});

describe('pnpm seed (the built CLI)', () => {
  it('prints theta every 100 iterations, the final theta and the optimum, and writes the SVG', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'adamflow-seed-')), 'plot.svg');
    const main = new URL('../dist/main.js', import.meta.url);
    const text = execFileSync(process.execPath, [main.pathname, '--out', out], {
      encoding: 'utf8',
    });
    expect(text.match(/^iteration +\d+ +theta/gm)).toHaveLength(11);
    expect(text).toContain('final theta           [4.222150563870542, 2.9684679704452135]');
    expect(text).toContain('least-squares optimum [4.2221510774472');
    expect(text).toContain(`plot written to ${out}`);
    expect(readFileSync(out, 'utf8')).toContain('<line class="fit"');
  });
});
