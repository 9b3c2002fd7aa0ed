import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    // Integration tests start real servers and hundreds of sockets; the load tests
    // measure a viewer under a flood, so files run one at a time, not against each other.
    test: { testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false },
  }),
);
