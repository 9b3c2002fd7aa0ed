import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    // Integration tests start real servers and hundreds of sockets; on a busy machine
    // that takes many times longer than alone. A timeout here catches hangs only.
    test: { testTimeout: 180_000, hookTimeout: 180_000 },
  }),
);
