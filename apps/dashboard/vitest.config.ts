import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    // Integration tests start real servers and hundreds of sockets.
    test: { testTimeout: 60_000, hookTimeout: 60_000 },
  }),
);
