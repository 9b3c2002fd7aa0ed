// The vitest settings every package shares: tests beside the code, and a JSON
// report under test-results/ that scripts/test-all.mjs sums into one line.
// A timeout here only catches a test that hangs; it is not a speed check (speed lives
// in bench/). The suite must pass on a busy 2-core machine, where a test that starts
// three small processes (apps/cli) has taken 27 s: the limit is far above that.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
