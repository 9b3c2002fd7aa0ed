// Side-by-side measurement: every contender runs in the same process, round-robin,
// after a warm-up, and each figure is the median of several rounds. Machines here
// are shared and noisy, so the ratios between contenders of one run are what count.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One contender: `run(n)` does n units of work and returns a value to keep it honest. */
export interface Contender {
  name: string;
  run: (units: number) => unknown | Promise<unknown>;
  /** Units per round for this contender (default: the `units` given to measure). */
  units?: number;
}

/** Median ns per unit for each contender. */
export interface Measurement {
  name: string;
  nsPerUnit: number;
  unitsPerSecond: number;
  rounds: number[];
}

let sink: unknown;

/**
 * Measures contenders round-robin: a warm-up (a quarter round each, or `warmupRounds`
 * full rounds), then `rounds` rounds in which each contender runs `units` units;
 * reports the median.
 */
export async function measure(
  contenders: Contender[],
  units: number,
  rounds = 5,
  warmupRounds = 0,
): Promise<Measurement[]> {
  const unitsOf = (c: Contender) => c.units ?? units;
  const warmup = (c: Contender) => Math.max(1, Math.floor(unitsOf(c) / 4 / 32) * 32);
  for (const c of contenders) sink = await c.run(warmup(c));
  for (let r = 0; r < warmupRounds; r++) {
    for (const c of contenders) sink = await c.run(unitsOf(c));
  }
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      (globalThis as { gc?: () => void }).gc?.();
      const start = process.hrtime.bigint();
      sink = await c.run(unitsOf(c));
      const ns = Number(process.hrtime.bigint() - start);
      times.get(c.name)!.push(ns / unitsOf(c));
    }
  }
  void sink;
  return contenders.map((c) => {
    const rs = times.get(c.name)!;
    const nsPerUnit = median(rs);
    return { name: c.name, nsPerUnit, unitsPerSecond: 1e9 / nsPerUnit, rounds: rs };
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints a table: one row per record, columns as given. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const cell = (v: string | number) => (typeof v === 'number' ? format(v) : v);
  const widths = columns.map((c) =>
    Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)),
  );
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c] ?? ''))));
}

function format(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return v.toExponential(3);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Facts about the machine and runtime, stored with every result. */
export function environment(): Record<string, unknown> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** Writes `bench/results/<name>.json`. */
export function writeResult(name: string, data: unknown): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
