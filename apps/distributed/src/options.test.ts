import { optimizerNames } from '@adamflow/core';
import { defaultLr } from '@adamflow/stream';
import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './options.js';

const URL = 'nats://127.0.0.1:4222';

function usage(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommand(argv, env);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('command line', () => {
  it('defaults each optimizer to the learning rate pnpm train uses', () => {
    for (const optimizer of optimizerNames) {
      const parsed = parseCommand(
        ['trainer', '--nats', URL, '--session', 'a', '--optimizer', optimizer],
        {},
      );
      expect(parsed).toMatchObject({ optimizer, lr: defaultLr(optimizer) });
    }
    expect(defaultLr('adadelta')).toBe(1);
  });
  it('reads the contract with its defaults (those of pnpm train)', () => {
    expect(parseCommand(['trainer', '--nats', URL, '--session', 'a'], {})).toMatchObject({
      command: 'trainer',
      nats: URL,
      optimizer: 'adam',
      lr: 0.01,
      batchSize: 1,
      until: undefined,
    });
    expect(
      parseCommand(['trainer', '--session', 'a', '--optimizer', 'sgd'], { ADAMFLOW_NATS_URL: URL }),
    ).toMatchObject({ nats: URL, lr: 0.001 });
    const produce = parseCommand(
      [
        'produce',
        '--nats',
        URL,
        '--session',
        'a',
        '--source',
        'seed',
        '--seed',
        '9',
        '--samples',
        '5',
      ],
      {},
    );
    expect(produce).toMatchObject({ samples: 5, spec: { kind: 'linear', seed: 9 } });
  });

  it('reads the gateway contract, the token and origins from the environment', () => {
    expect(
      parseCommand(['gateway', '--port', '8081'], {
        ADAMFLOW_NATS_URL: URL,
        ADAMFLOW_CONTROL_TOKEN: 'secret',
        ADAMFLOW_ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      }),
    ).toEqual({
      command: 'gateway',
      nats: URL,
      help: false,
      port: 8081,
      host: '127.0.0.1',
      ring: 1024,
      maxSessions: 64,
      token: 'secret',
      allowedOrigins: ['https://a.example', 'https://b.example'],
    });
    expect(usage(['gateway', '--nats', URL, '--ring', '0'])).toBe(
      'gateway: --ring must be an integer in 1..1000000, got "0"',
    );
  });

  it('says what is wrong with each bad flag', () => {
    const messages = [
      usage(['trainer', '--session', 'a']),
      usage(['trainer', '--nats', 'http://x', '--session', 'a']),
      usage(['trainer', '--nats', URL]),
      usage(['trainer', '--nats', URL, '--session', 'a.b']),
      usage(['trainer', '--nats', URL, '--session', 'x'.repeat(65)]),
      usage(['trainer', '--nats', URL, '--session', 'a', '--lr=-1']),
      usage(['trainer', '--nats', URL, '--session', 'a', '--optimizer', 'lion']),
      usage(['trainer', '--nats', URL, '--session', 'a', '--until', '1.5']),
      usage(['trainer', '--nats', URL, '--session', 'a', '--on-held', 'maybe']),
      usage(['produce', '--nats', URL, '--session', 'a', '--source', 'csv']),
      usage(['produce', '--nats', URL, '--session', 'a', '--samples', '']),
      usage(['produce', '--nats', URL, '--session', 'a', '--until', '5']),
      usage(['gateway', '--nats', URL, '--port', '70000']),
      usage(['train']),
    ];
    expect(messages).toEqual([
      'trainer: --nats URL is required (e.g. --nats nats://127.0.0.1:4222), or set ADAMFLOW_NATS_URL',
      'trainer: --nats must be a NATS URL like nats://127.0.0.1:4222, got "http://x"',
      'trainer: --session NAME is required',
      `trainer: --session must be 1 to 64 letters, digits, '-' or '_', got "a.b"`,
      `trainer: --session must be 1 to 64 letters, digits, '-' or '_', got "${'x'.repeat(65)}"`,
      'trainer: --lr must be a positive number, got "-1"',
      `trainer: --optimizer must be one of ${optimizerNames.join(', ')}, got "lion"`,
      'trainer: --until must be an integer >= 0, got "1.5"',
      'trainer: --on-held must be one of wait, exit, got "maybe"',
      'produce: --source must be one of seed, multilinear, drift, logistic, linear, got "csv"',
      'produce: --samples must be an integer >= 0, got ""',
      expect.stringMatching(/^produce: Unknown option '--until'/),
      'gateway: --port must be an integer in 0..65535, got "70000"',
      'unknown command "train"; use one of produce, trainer, worker, gateway, inspect',
    ]);
  });

  it('reads the gradient mode and the worker, and says what is wrong with them', () => {
    expect(
      parseCommand(['trainer', '--nats', URL, '--session', 'a', '--gradients'], {}),
    ).toMatchObject({ gradients: true, maxStaleness: 8 });
    expect(parseCommand(['trainer', '--nats', URL, '--session', 'a'], {})).toMatchObject({
      gradients: false,
    });
    expect(
      parseCommand(['worker', '--nats', URL, '--session', 'a', '--ahead', '3', '--json'], {}),
    ).toEqual({
      command: 'worker',
      nats: URL,
      help: false,
      session: 'a',
      ahead: 3,
      model: { kind: 'source' },
      json: true,
    });
    expect([
      usage(['trainer', '--nats', URL, '--session', 'a', '--gradients', '--max-staleness=-1']),
      usage(['worker', '--nats', URL, '--session', 'a', '--ahead', '0']),
      usage(['worker', '--nats', URL]),
    ]).toEqual([
      'trainer: --max-staleness must be an integer >= 0, got "-1"',
      'worker: --ahead must be an integer in 1..1024, got "0"',
      'worker: --session NAME is required',
    ]);
  });

  it('reads the gradient model flags, and says what is wrong with them', () => {
    const at = ['--nats', URL, '--session', 'a'];
    expect([
      parseCommand(['worker', ...at, '--model', 'mlp', '--hidden', '300, 300'], {}),
      parseCommand(['trainer', '--gradients', ...at, '--model', 'mlp'], {}),
      parseCommand(
        ['worker', ...at, '--model', 'mlp', '--activation', 'relu', '--model-seed', '7'],
        {},
      ),
    ]).toMatchObject([
      { model: { kind: 'mlp', hidden: [300, 300], activation: 'tanh', seed: 0 } },
      { model: { kind: 'mlp', hidden: [32], activation: 'tanh', seed: 0 } },
      { model: { kind: 'mlp', hidden: [32], activation: 'relu', seed: 7 } },
    ]);
    expect([
      usage(['trainer', ...at, '--model', 'mlp']),
      usage(['worker', ...at, '--model', 'tree']),
      usage(['worker', ...at, '--hidden', '8']),
      usage(['worker', ...at, '--model', 'mlp', '--hidden', '8,0']),
      usage(['worker', ...at, '--model', 'mlp', '--activation', 'sigmoid']),
      usage(['worker', ...at, '--model', 'mlp', '--model-seed=-1']),
    ]).toEqual([
      "trainer: --model is for gradient sessions (trainer --gradients and worker); a trainer on samples trains the source's own model",
      'worker: --model must be one of source, mlp, got "tree"',
      'worker: --hidden is for --model mlp, not --model source',
      `worker: --hidden takes the hidden layers' widths, positive integers separated by commas (e.g. 32 or 300,300), got "8,0"`,
      'worker: --activation must be one of tanh, relu, got "sigmoid"',
      'worker: --model-seed must be an integer in 0..4294967295, got "-1"',
    ]);
  });
});
