import { describe, expect, it } from 'vitest';
import {
  CLIENT_TYPES,
  MAX_CLIENT_DEPTH,
  MAX_ERROR_LENGTH,
  MAX_PARAM_COUNT,
  MAX_RATE,
  MIN_RATE,
  parseClientFrame,
  parseClientMessage,
  parseServerMessage,
} from './messages.js';

describe('parseClientMessage', () => {
  it.each([
    [{ type: 'pause' }],
    [{ type: 'resume', id: 'a' }],
    [{ type: 'reset', token: 't' }],
    [{ type: 'set-lr', lr: 0.001 }],
    [{ type: 'set-optimizer', optimizer: 'amsgrad' }],
    [{ type: 'set-optimizer', optimizer: 'sgd', lr: 0.05 }],
    [{ type: 'set-source', source: 'drift' }],
    [{ type: 'snapshot-request' }],
    [{ type: 'add-contestant', optimizer: 'rmsprop' }],
    [
      {
        type: 'add-contestant',
        optimizer: 'sgd',
        options: { lr: 0.01, momentum: 0.9, nesterov: true },
        name: 'SGD+m',
      },
    ],
    [{ type: 'remove-contestant', contestant: 'c1' }],
    [{ type: 'retune-contestant', contestant: 'primary', options: { lr: 0.5 } }],
  ])('accepts %j', (message) => {
    expect(parseClientMessage(message)).toEqual({ ok: true, value: message });
  });

  it.each([
    [null, 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
    ['pause', 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
    [[], 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
    [{}, 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
    [{ type: 7 }, 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
    [{ type: 'launch' }, 'ADAMFLOW_ERR_UNKNOWN_TYPE'],
    [{ type: 'set-lr' }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [{ type: 'set-lr', lr: 0 }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [{ type: 'set-lr', lr: Number.NaN }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [{ type: 'set-lr', lr: 11 }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [{ type: 'set-optimizer', optimizer: 'ADAM' }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [{ type: 'set-source', source: 1 }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [{ type: 'pause', id: 'x'.repeat(65) }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [{ type: 'pause', surplus: 1 }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [
      { type: 'add-contestant', optimizer: 'adam', options: { beta2: 1 } },
      'ADAMFLOW_ERR_INVALID_FIELD',
    ],
    [
      { type: 'add-contestant', optimizer: 'adam', options: { lr: Number.POSITIVE_INFINITY } },
      'ADAMFLOW_ERR_INVALID_FIELD',
    ],
    [{ type: 'remove-contestant', contestant: '' }, 'ADAMFLOW_ERR_INVALID_FIELD'],
    [
      { type: 'retune-contestant', contestant: 'c1', options: { nesterov: 1 } },
      'ADAMFLOW_ERR_INVALID_FIELD',
    ],
  ])('refuses %j with %s', (message, code) => {
    const result = parseClientMessage(message);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.message.length).toBeGreaterThan(10);
    }
  });

  it('tells a missing field from a surplus one', () => {
    const missing = parseClientMessage({ type: 'remove-contestant' });
    expect(!missing.ok && missing.message).toBe('remove-contestant: field contestant is required');
    const surplus = parseClientMessage({ type: 'remove-contestant', contestant: 'c1', all: true });
    expect(!surplus.ok && surplus.message).toMatch(/field all is not part of this message/);
  });

  it('names the field and the known types in its messages', () => {
    const field = parseClientMessage({ type: 'set-lr', lr: -1 });
    expect(!field.ok && field.message).toMatch(/set-lr: field lr/);
    const type = parseClientMessage({ type: 'go' });
    expect(!type.ok && type.message).toContain(CLIENT_TYPES.join(', '));
  });
});

describe('hostile client input', () => {
  const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

  it('parseClientMessage never throws on deeply nested values and keeps its message short', () => {
    const deep = JSON.parse(deepArray(6000)) as unknown;
    const inputs = [
      { type: deep },
      { type: 'set-lr', lr: deep },
      { type: 'pause', id: deep },
      { type: 'set-optimizer', optimizer: 'x'.repeat(60_000) },
      { type: 'x'.repeat(60_000) },
      { type: 'pause', ['k'.repeat(60_000)]: 1 },
    ];
    const results = inputs.map((input) => parseClientMessage(input));
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message.length).toBeLessThanOrEqual(MAX_ERROR_LENGTH);
    }
  });

  it('parseClientFrame refuses nesting beyond the limit before parsing, and not within strings', () => {
    for (const text of [
      `{"type":${deepArray(6000)}}`,
      `{"type":"pause","id":${deepObject(5000)}}`,
      deepArray(MAX_CLIENT_DEPTH + 1),
    ]) {
      expect(parseClientFrame(text)).toMatchObject({
        ok: false,
        code: 'ADAMFLOW_ERR_INVALID_JSON',
      });
    }
    expect(parseClientFrame(JSON.stringify({ type: 'pause', id: '[[[[[[[[[[' }))).toEqual({
      ok: true,
      value: { type: 'pause', id: '[[[[[[[[[[' },
    });
    expect(parseClientFrame(JSON.stringify({ type: 'pause', id: '\\"[[[[[[' }))).toMatchObject({
      ok: true,
    });
    expect(parseClientFrame('{"type":')).toMatchObject({ code: 'ADAMFLOW_ERR_INVALID_JSON' });
  });

  it('refuses prototype keys and leaves Object.prototype alone', () => {
    for (const text of [
      '{"type":"pause","__proto__":{"polluted":true}}',
      '{"type":"set-lr","lr":0.1,"constructor":{"prototype":{"polluted":true}}}',
      '{"__proto__":{"type":"pause"}}',
    ]) {
      const result = parseClientFrame(text);
      expect(result.ok, text).toBe(false);
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('takes unicode, lone surrogates and extreme numbers without throwing', () => {
    expect(parseClientFrame('{"type":"pause","id":"\\ud800\\u0000é漢"}').ok).toBe(true);
    for (const lr of ['1e308', '1e309', '-0', '5e-324', '0.0000']) {
      expect(parseClientFrame(`{"type":"set-lr","lr":${lr}}`).ok, lr).toBe(lr === '5e-324');
    }
  });
});

describe('parseServerMessage', () => {
  const update = {
    type: 'params-update',
    seq: 3,
    time: 1,
    step: 10,
    samples: 10,
    params: [1, 2],
    loss: 0.5,
    lossEma: null,
    samplesPerSecond: 100,
    truth: [4, 3],
    recent: { x: [0.5], y: [5.5] },
  };
  it('accepts a params-update and refuses a broken one', () => {
    expect(parseServerMessage(update)).toEqual(update);
    expect(parseServerMessage({ ...update, params: 'x' })).toBeUndefined();
    expect(parseServerMessage({ type: 'nope' })).toBeUndefined();
  });
  it("accepts a big model's first params with its paramCount, and refuses a bad count", () => {
    const big = { ...update, params: [1, 2, 3], paramCount: 91_201 };
    const change = {
      type: 'state-changed',
      seq: 4,
      time: 2,
      reason: 'pause',
      config: {
        ...{ source: 'seed', model: 'linear-regression', features: 1, optimizer: 'adam' },
        ...{ lr: 0.01, batchSize: 1, rate: null, paused: true },
      },
      truth: null,
      params: [1, 2, 3],
      paramCount: 3,
      step: 10,
      samples: 10,
      diverged: null,
    };
    const accepted = [big, { ...big, paramCount: MAX_PARAM_COUNT }, change];
    const refused = [
      { ...big, paramCount: 2 },
      { ...big, paramCount: 0 },
      { ...big, paramCount: -5 },
      { ...big, paramCount: 1000.5 },
      { ...big, paramCount: MAX_PARAM_COUNT + 1 },
      { ...big, paramCount: '91201' },
      { ...change, paramCount: 2 },
    ];
    expect({
      accepted: accepted.map((message) => parseServerMessage(message)),
      refused: refused.map((message) => parseServerMessage(message)),
    }).toEqual({ accepted, refused: refused.map(() => undefined) });
  });
  it('accepts errors and acks', () => {
    expect(
      parseServerMessage({
        type: 'error',
        code: 'ADAMFLOW_ERR_INVALID_JSON',
        message: 'm',
        id: null,
      }),
    ).toBeDefined();
    expect(parseServerMessage({ type: 'command-ack', id: 'a', command: 'pause' })).toBeDefined();
  });
});

describe('set-rate, checkpoint and restore', () => {
  it.each([
    [{ type: 'set-rate', rate: MIN_RATE }],
    [{ type: 'set-rate', rate: 250.5 }],
    [{ type: 'set-rate', rate: MAX_RATE, id: 'r', token: 't' }],
    [{ type: 'set-rate', rate: null }],
    [{ type: 'checkpoint' }],
    [{ type: 'checkpoint', id: 'c', token: 't' }],
    [{ type: 'restore' }],
    [{ type: 'restore', id: 'r', token: 't' }],
  ])('accepts %j', (message) => {
    expect(parseClientMessage(message)).toEqual({ ok: true, value: message });
  });

  it.each([
    [{ type: 'set-rate' }, /^set-rate: field rate is required$/],
    [{ type: 'set-rate', rate: 0 }, /rate: expected .* from 1 to 100000, or null .*, got 0$/],
    [{ type: 'set-rate', rate: -5 }, /got -5$/],
    [
      { type: 'set-rate', rate: MAX_RATE + 1 },
      /from 1 to 100000, or null to train flat out, got 100001$/,
    ],
    [{ type: 'set-rate', rate: Number.POSITIVE_INFINITY }, /got Infinity$/],
    [{ type: 'set-rate', rate: Number.NaN }, /got NaN$/],
    [{ type: 'set-rate', rate: '100' }, /got "100"$/],
    [{ type: 'set-rate', rate: 100, lr: 1 }, /field lr is not part of this message; remove it/],
    [{ type: 'checkpoint', path: '/etc/passwd' }, /checkpoint: field path is not part of/],
    [{ type: 'restore', from: {} }, /restore: field from is not part of/],
  ])('refuses %j, saying what to send', (message, said) => {
    const result = parseClientMessage(message);
    expect(result).toMatchObject({ ok: false, code: 'ADAMFLOW_ERR_INVALID_FIELD' });
    expect(!result.ok && result.message).toMatch(said);
  });

  it('the new types are listed, and a state-changed may say set-rate or restore', () => {
    expect(CLIENT_TYPES).toEqual(expect.arrayContaining(['set-rate', 'checkpoint', 'restore']));
    const changed = {
      type: 'state-changed',
      seq: 1,
      time: 1,
      config: {
        source: 'seed',
        model: 'linear-regression',
        features: 1,
        optimizer: 'adam',
        lr: 0.01,
        batchSize: 1,
        rate: 250,
        paused: false,
      },
      truth: [4, 3],
      params: [1, 2],
      step: 5,
      samples: 5,
      diverged: null,
    };
    for (const reason of ['set-rate', 'restore']) {
      expect(parseServerMessage({ ...changed, reason }), reason).toBeDefined();
    }
    expect(parseServerMessage({ ...changed, reason: 'checkpoint' })).toBeUndefined();
  });
});
