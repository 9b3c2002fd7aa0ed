import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    // Integration tests start real servers and hundreds of sockets; on a busy machine
    // that takes many times longer than alone, so a timeout here catches hangs only. The
    // load tests measure a viewer under a flood, so files run one at a time.
    test: { testTimeout: 180_000, hookTimeout: 180_000, fileParallelism: false },
  }),
);
