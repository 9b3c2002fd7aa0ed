#!/usr/bin/env node
// `pnpm predict`: predictions of a saved model on a data file.
import { readFileSync } from 'node:fs';
import { fromCsv, LabelEncoder, restoreCheckpoint } from '@adamflow/stream';
import { type FlagSpec, parseFlags, UsageError } from './args.js';
import type { CliCheckpoint } from './train-data.js';

export const PREDICT_USAGE = `Usage: adamflow-predict --model FILE --data FILE.csv[.gz] [--json]

Predicts each row of a CSV file (header row; the target column may be absent) with a
model saved by adamflow-train --checkpoint, without learning. Prints one line per row:
the value (regression), or the class and P(class 1) (two classes), or the class and
the K class probabilities (K classes).

  --model FILE   a checkpoint written by adamflow-train --checkpoint
  --data FILE    the rows, with the feature columns the model was trained on
  --json         one JSON object per row: {"prediction": ...} for a regression,
                 {"prediction": ..., "probability": P or [p0, ..., pK-1]} for classes
  -h, --help     this text
`;

const FLAGS: FlagSpec = {
  model: { type: 'string' },
  data: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

async function main(): Promise<void> {
  const values = parseFlags(process.argv.slice(2), FLAGS);
  if (values['help'] === true) {
    process.stdout.write(PREDICT_USAGE);
    return;
  }
  const modelFile = values['model'];
  const data = values['data'];
  if (typeof modelFile !== 'string')
    throw new UsageError('--model FILE is required (a checkpoint)');
  if (typeof data !== 'string') throw new UsageError('--data FILE is required (a CSV file)');
  let checkpoint: CliCheckpoint;
  try {
    checkpoint = JSON.parse(readFileSync(modelFile, 'utf8')) as CliCheckpoint;
  } catch (error) {
    throw new UsageError(`--model ${modelFile}: ${(error as Error).message}`);
  }
  const { pipeline, labels } = restoreCheckpoint(checkpoint);
  const decoder = labels ? LabelEncoder.fromState(labels) : null;
  const classify = pipeline.model.task === 'classification';
  const rows = fromCsv(data, {
    target: null,
    features: checkpoint.data?.features ?? [],
    categorical: checkpoint.data?.categorical ?? [],
  });
  const out: string[] = [];
  const flush = () => {
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
    out.length = 0;
  };
  for await (const row of rows) {
    if (!classify) {
      const value = pipeline.predict(row.x);
      out.push(values['json'] ? JSON.stringify({ prediction: value }) : String(value));
    } else {
      // The class by the learner's rule (P(y = 1) > 0.5, or the most probable of K),
      // and P(y = 1) or the K class probabilities.
      const index = pipeline.predict(row.x);
      const proba = pipeline.predictProba(row.x);
      const probability = typeof proba === 'number' ? proba : Array.from(proba);
      const label = decoder?.decode(index) ?? index;
      out.push(
        values['json']
          ? JSON.stringify({ prediction: label, probability })
          : `${String(label)},${String(probability)}`,
      );
    }
    if (out.length >= 1000) flush();
  }
  flush();
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`adamflow-predict: ${error.message}\n\n${PREDICT_USAGE}`);
    process.exit(2);
  }
  const code = (error as { code?: string }).code;
  process.stderr.write(
    `adamflow-predict: ${(error as Error).message}${code ? ` (${code})` : ''}\n`,
  );
  process.exit(1);
});
