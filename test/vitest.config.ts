import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    // Packing and installing tarballs takes seconds, not milliseconds.
    test: { testTimeout: 180_000, hookTimeout: 180_000 },
  }),
);
