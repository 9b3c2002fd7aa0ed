import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// Each test file starts its own nats-server and several processes: one file at a time
// keeps a 2-core machine responsive and the timings honest.
export default mergeConfig(
  shared,
  defineConfig({ test: { fileParallelism: false, testTimeout: 60_000, hookTimeout: 60_000 } }),
);
