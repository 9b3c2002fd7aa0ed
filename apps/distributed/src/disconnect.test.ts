import { TimeoutError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { asDisconnect } from './disconnect.js';

describe('asDisconnect', () => {
  it('gives connection failures, and JetStream missing mid-run, one code', () => {
    const restarting = Object.assign(new Error('jetstream is not enabled'), {
      name: 'JetStreamNotEnabled',
    });
    expect([asDisconnect(new TimeoutError()).code, asDisconnect(restarting).code]).toEqual([
      'ADAMFLOW_ERR_NATS_DISCONNECTED',
      'ADAMFLOW_ERR_NATS_DISCONNECTED',
    ]);
    expect(asDisconnect(restarting).message).toMatch(
      /jetstream is not enabled.*restart the trainer/,
    );
  });

  it('passes other errors through unchanged', () => {
    const other = new RangeError('lr must be a positive finite number, got -1');
    expect(asDisconnect(other)).toBe(other);
  });
});
