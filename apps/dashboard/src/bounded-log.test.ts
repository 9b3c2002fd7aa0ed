import { describe, expect, it } from 'vitest';
import { BoundedLog, peerText } from './bounded-log.js';

describe('BoundedLog', () => {
  it('writes at most perWindow lines of a kind per window, then one summary', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new BoundedLog((line) => lines.push(line), {
      perWindow: 3,
      windowMs: 1000,
      now: () => now,
    });
    for (let i = 0; i < 100; i++) log.write('refused', `refused ${i}`);
    log.write('other', 'another kind');
    expect(lines).toEqual(['refused 0', 'refused 1', 'refused 2', 'another kind']);
    now = 1000;
    log.write('refused', 'refused again');
    expect(lines.slice(4)).toEqual([
      '(97 more "refused" lines suppressed in 1000 ms)',
      'refused again',
    ]);
  });

  it('cuts long lines', () => {
    const lines: string[] = [];
    new BoundedLog((line) => lines.push(line), { maxLength: 10 }).write('k', 'x'.repeat(100));
    expect(lines).toEqual([`${'x'.repeat(9)}…`]);
  });
});

describe('peerText', () => {
  it('quotes, escapes control characters and cuts', () => {
    expect(peerText('a\r\nb')).toBe('"a\\r\\nb"');
    expect(peerText('o'.repeat(8192), 4)).toBe('"oooo"… (8192 characters)');
    expect(peerText(undefined)).toBe('(none)');
  });
});
