import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES, parseClientMessage, parseServerMessage } from './messages.js';

describe('parseClientMessage', () => {
  it.each([
    [{ type: 'pause' }],
    [{ type: 'resume', id: 'a' }],
    [{ type: 'reset', token: 't' }],
    [{ type: 'set-lr', lr: 0.001 }],
    [{ type: 'set-optimizer', optimizer: 'amsgrad' }],
    [{ type: 'set-source', source: 'drift' }],
    [{ type: 'snapshot-request' }],
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
  ])('refuses %j with %s', (message, code) => {
    const result = parseClientMessage(message);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(code);
      expect(result.message.length).toBeGreaterThan(10);
    }
  });

  it('names the field and the known types in its messages', () => {
    const field = parseClientMessage({ type: 'set-lr', lr: -1 });
    expect(!field.ok && field.message).toMatch(/set-lr: field lr/);
    const type = parseClientMessage({ type: 'go' });
    expect(!type.ok && type.message).toContain(CLIENT_TYPES.join(', '));
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
