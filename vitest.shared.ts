// The vitest settings every package shares: tests beside the code, and a JSON
// report under test-results/ that scripts/test-all.mjs sums into one line.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
