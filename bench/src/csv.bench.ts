// Training from a CSV file: rows/s of csv-parse alone, of our adapter (fromCsv: parse
// and convert), and of progressive validation through standard scaler + logistic
// regression + Adam, on a generated file of 1e6 rows x 10 numeric features; with the
// process's peak RSS during each pass. Then the pipeline per sample (in memory) against
// a raw loop doing the same maths. Writes bench/results/csv.json.

import {
  appendFileSync,
  createReadStream,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam } from '@adamflow/core';
import {
  createMetric,
  fromCsv,
  logisticRegression,
  pipeline,
  progressiveValidation,
  Random,
  standardScaler,
} from '@adamflow/stream';
import { parse } from 'csv-parse';
import { environment, measure, printTable, writeResult } from './harness.js';

const ROWS = Number(process.env['ADAMFLOW_BENCH_CSV_ROWS'] ?? 1_000_000);
const FEATURES = 10;
const ROUNDS = Number(process.env['ADAMFLOW_BENCH_CSV_ROUNDS'] ?? 3);
const IN_MEMORY = 200_000;

/**
 * Features ~ N(j, 1 + j), label from a fixed logistic model: a learnable file. Written
 * 10 000 rows at a time, so generating it does not raise the peak RSS measured later.
 */
function generate(path: string): void {
  const random = new Random(2026);
  writeFileSync(path, `${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')},label\n`);
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    let z = 0;
    const values: string[] = [];
    for (let j = 0; j < FEATURES; j++) {
      const v = random.normal() * (1 + j) + j;
      z += (((j % 3) - 1) * (v - j)) / (1 + j);
      values.push(v.toFixed(6));
    }
    values.push(random.uniform() < 1 / (1 + Math.exp(-z)) ? '1' : '0');
    lines.push(values.join(','));
    if (lines.length === 10_000) {
      appendFileSync(path, `${lines.join('\n')}\n`);
      lines.length = 0;
    }
  }
  if (lines.length) appendFileSync(path, `${lines.join('\n')}\n`);
}

/** Peak RSS while `work` runs, sampled every 20 ms (plus before and after). */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRss: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}

async function csvParseAlone(path: string): Promise<number> {
  let count = 0;
  for await (const _record of createReadStream(path).pipe(parse())) count++;
  return count - 1;
}

async function adapterOnly(path: string): Promise<number> {
  let sum = 0;
  for await (const row of fromCsv(path, { target: 'label' })) sum += row.y;
  return sum;
}

function trainingPipeline() {
  return pipeline({
    inputs: FEATURES,
    stages: [standardScaler()],
    model: (features) => logisticRegression({ features }),
    optimizer: { name: 'adam', options: { lr: 0.01 } },
  });
}

async function training(path: string): Promise<number> {
  const report = await progressiveValidation(
    fromCsv(path, { target: 'label' }),
    trainingPipeline(),
    {
      metrics: [createMetric('accuracy')],
    },
  );
  return report.metrics['accuracy']!;
}

/** Standard scaler + logistic regression + Adam, River's order, written out by hand. */
function rawLoop(xs: Float64Array, ys: Float64Array, n: number): number {
  const d = FEATURES;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  const z = new Float64Array(d);
  const params = new Float64Array(d + 1);
  const grad = new Float64Array(d + 1);
  const adam = new Adam(params, { lr: 0.01 });
  let right = 0;
  const score = (offset: number) => {
    let s = params[0]!;
    for (let j = 0; j < d; j++) {
      const v = variance[j]!;
      z[j] = v > 0 ? (xs[offset + j]! - mean[j]!) / Math.sqrt(v) : 0;
      s += params[j + 1]! * z[j]!;
    }
    return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
  };
  for (let i = 0; i < n; i++) {
    const offset = i * d;
    const y = ys[i]!;
    if ((score(offset) > 0.5 ? 1 : 0) === y) right++;
    const count = i + 1;
    for (let j = 0; j < d; j++) {
      const x = xs[offset + j]!;
      const old = mean[j]!;
      mean[j] = old + (x - old) / count;
      variance[j] = variance[j]! + ((x - old) * (x - mean[j]!) - variance[j]!) / count;
    }
    const r = score(offset) - y;
    grad[0] = r;
    for (let j = 0; j < d; j++) grad[j + 1] = r * z[j]!;
    adam.step(grad);
  }
  return right / n;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'adamflow-csv-bench-'));
  const path = join(dir, 'data.csv');
  try {
    console.log(`generating ${ROWS.toLocaleString('en')} rows x ${FEATURES} features ...`);
    generate(path);
    const bytes = statSync(path).size;
    const passes = [
      { name: 'csv-parse alone (records as string arrays)', run: csvParseAlone },
      { name: 'fromCsv: parse + convert (our adapter)', run: adapterOnly },
      {
        name: 'fromCsv + standard scaler + logistic regression + Adam (progressive validation)',
        run: training,
      },
    ];
    const results = new Map<string, { seconds: number[]; peakRss: number[]; value: unknown }>(
      passes.map((p) => [p.name, { seconds: [], peakRss: [], value: null }]),
    );
    // Round-robin, one whole pass over the file per contender per round.
    for (let round = 0; round < ROUNDS; round++) {
      for (const pass of passes) {
        (globalThis as { gc?: () => void }).gc?.();
        const start = process.hrtime.bigint();
        const { value, peakRss } = await withPeakRss(() => pass.run(path));
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const r = results.get(pass.name)!;
        r.seconds.push(seconds);
        r.peakRss.push(peakRss);
        r.value = value;
      }
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    const fileRows = passes.map((p) => {
      const r = results.get(p.name)!;
      const seconds = median(r.seconds);
      return {
        name: p.name,
        rowsPerSecond: ROWS / seconds,
        seconds,
        peakRssMB: Math.max(...r.peakRss) / 2 ** 20,
        rounds: r.seconds,
        result: r.value,
      };
    });
    const [raw, adapter, train] = fileRows as [
      (typeof fileRows)[0],
      (typeof fileRows)[0],
      (typeof fileRows)[0],
    ];
    const ratios = {
      trainingOverParseOnly: train.rowsPerSecond / adapter.rowsPerSecond,
      parseOnlyOverCsvParse: adapter.rowsPerSecond / raw.rowsPerSecond,
    };
    printTable(
      `CSV file: ${ROWS.toLocaleString('en')} rows x ${FEATURES} features, ${(bytes / 2 ** 20).toFixed(0)} MiB (median of ${ROUNDS} passes)`,
      fileRows.map((r) => ({
        contender: r.name,
        'rows/s': r.rowsPerSecond,
        's/pass': r.seconds,
        'peak RSS MiB': r.peakRssMB,
      })),
    );
    console.log(
      `training / parse-only: ${ratios.trainingOverParseOnly.toFixed(3)} (target >= 0.7); parse-only / csv-parse: ${ratios.parseOnlyOverCsvParse.toFixed(3)}`,
    );

    // Per sample, in memory: the pipeline against the raw loop, the same rows.
    const random = new Random(7);
    const xs = new Float64Array(IN_MEMORY * FEATURES);
    const ys = new Float64Array(IN_MEMORY);
    for (let i = 0; i < IN_MEMORY; i++) {
      let z = 0;
      for (let j = 0; j < FEATURES; j++) {
        const v = random.normal() * (1 + j) + j;
        xs[i * FEATURES + j] = v;
        z += (((j % 3) - 1) * (v - j)) / (1 + j);
      }
      ys[i] = random.uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const rows = Array.from({ length: IN_MEMORY }, (_, i) => ({
      x: xs.subarray(i * FEATURES, (i + 1) * FEATURES),
      y: ys[i]!,
    }));
    const perSample = await measure(
      [
        { name: 'raw loop: scaler + logistic + Adam', run: (n) => rawLoop(xs, ys, n) },
        {
          name: 'pipeline.learn (standardScaler | logisticRegression, Adam)',
          run: (n) => {
            const model = trainingPipeline();
            let right = 0;
            for (let i = 0; i < n; i++) {
              const row = rows[i]!;
              if ((model.learn(row) > 0.5 ? 1 : 0) === row.y) right++;
            }
            return right;
          },
        },
      ],
      IN_MEMORY,
      5,
    );
    const pipelineOverRaw = perSample[0]!.nsPerUnit / perSample[1]!.nsPerUnit;
    printTable(
      `Per sample, in memory (${IN_MEMORY.toLocaleString('en')} samples, median of 5 rounds)`,
      perSample.map((m) => ({
        contender: m.name,
        'ns/sample': m.nsPerUnit,
        'samples/s': m.unitsPerSecond,
      })),
    );
    console.log(`pipeline / raw loop: ${pipelineOverRaw.toFixed(3)} (target >= 0.5)`);
    const out = writeResult('csv', {
      benchmark: 'csv',
      rows: ROWS,
      features: FEATURES,
      fileBytes: bytes,
      environment: environment(),
      file: fileRows,
      ratios: { ...ratios, pipelineOverRawLoop: pipelineOverRaw },
      perSample,
    });
    console.log(`\nwrote ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
