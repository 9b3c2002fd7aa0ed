// One catalogue of optimizers: @adamflow/core's registry. The protocol (which stays
// free of core) and the dashboard page list the same names, in the same order; this
// test is what keeps them so.
import { readFileSync } from 'node:fs';
import { optimizerNames } from '@adamflow/core';
import { OPTIMIZERS } from '@adamflow/protocol';
import { describe, expect, it } from 'vitest';

describe('the optimizer catalogue', () => {
  it("the protocol's OPTIMIZERS are the core registry's names", () => {
    expect([...OPTIMIZERS]).toEqual([...optimizerNames]);
  });

  it("the dashboard page's optimizer menu offers exactly those names", () => {
    const page = readFileSync(
      new URL('../../apps/dashboard/web/index.html', import.meta.url),
      'utf8',
    );
    const select = /<select id="optimizer">([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '';
    const values = [...select.matchAll(/<option value="([^"]+)"/g)].map((match) => match[1]);
    expect(values).toEqual([...optimizerNames]);
  });
});
