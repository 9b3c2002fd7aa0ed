#!/usr/bin/env node
// The live dashboard: `pnpm start`. Env: PORT, HOST, ADAMFLOW_CONTROL_TOKEN,
// ADAMFLOW_RATE (samples per second, or "max"), ADAMFLOW_ALLOWED_ORIGINS (comma list),
// ADAMFLOW_CHECKPOINT (where the run is saved; "none" saves nothing), ADAMFLOW_FRESH=1
// (start a fresh run even if a checkpoint exists).
import { resolve } from 'node:path';
import { MAX_TOKEN_LENGTH, startDashboardServer } from './server.js';

/** Where the run is saved by default: visible, beside the working directory's other files. */
const DEFAULT_CHECKPOINT = '.adamflow/dashboard-checkpoint.json';

function checkpointFromEnv(text: string | undefined): string | undefined {
  if (text === 'none') return undefined;
  return resolve(text === undefined || text === '' ? DEFAULT_CHECKPOINT : text);
}

function intervalFromEnv(text: string | undefined): number {
  if (text === undefined || text === '') return 5000;
  const ms = Number(text);
  if (!(Number.isInteger(ms) && ms >= 100 && ms <= 86_400_000)) {
    throw new RangeError(
      `ADAMFLOW_CHECKPOINT_MS must be a whole number of milliseconds from 100 to 86400000, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

function freshFromEnv(text: string | undefined): boolean {
  if (text === undefined || text === '' || text === '0') return false;
  if (text === '1') return true;
  throw new RangeError(`ADAMFLOW_FRESH must be 1 (start fresh) or 0, got ${JSON.stringify(text)}`);
}

function rateFromEnv(text: string | undefined): number | null {
  if (text === undefined || text === '') return 1000;
  if (text === 'max') return null;
  const rate = Number(text);
  if (!(Number.isFinite(rate) && rate > 0)) {
    throw new RangeError(
      `ADAMFLOW_RATE must be a positive number of samples per second or "max", got ${JSON.stringify(text)}`,
    );
  }
  return rate;
}

function portFromEnv(text: string | undefined): number {
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`PORT must be an integer in [0, 65535], got ${JSON.stringify(text)}`);
  }
  return port;
}

function tokenFromEnv(text: string | undefined): string | undefined {
  if (text !== undefined && text.length > MAX_TOKEN_LENGTH) {
    // The protocol's token field carries at most 256 characters: such a token could
    // never be sent, so every command would be refused. Say so now.
    throw new RangeError(
      `ADAMFLOW_CONTROL_TOKEN must be at most ${MAX_TOKEN_LENGTH} characters, got ${text.length}; choose a shorter token`,
    );
  }
  return text;
}

try {
  const server = await startDashboardServer({
    host: process.env['HOST'] || '127.0.0.1',
    port: portFromEnv(process.env['PORT']),
    rate: rateFromEnv(process.env['ADAMFLOW_RATE']),
    token: tokenFromEnv(process.env['ADAMFLOW_CONTROL_TOKEN']),
    allowedOrigins: (process.env['ADAMFLOW_ALLOWED_ORIGINS'] ?? '').split(',').filter(Boolean),
    checkpointFile: checkpointFromEnv(process.env['ADAMFLOW_CHECKPOINT']),
    fresh: freshFromEnv(process.env['ADAMFLOW_FRESH']),
    checkpointIntervalMs: intervalFromEnv(process.env['ADAMFLOW_CHECKPOINT_MS']),
    log: (line) => console.error(`[adamflow] ${line}`),
  });
  console.log(`adamflow dashboard: ${server.url}  (WebSocket ${server.wsUrl})`);
  console.log('Training y = 4 + 3x + noise with Adam, sample by sample. Ctrl-C stops.');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    console.error(
      `adamflow: port ${process.env['PORT'] ?? 8080} is in use; set PORT to another port (PORT=0 picks a free one)`,
    );
  } else {
    console.error(`adamflow: ${(error as Error).message}`);
  }
  process.exit(1);
}
