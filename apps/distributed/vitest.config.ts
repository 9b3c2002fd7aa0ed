import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// Each test file starts its own nats-server and several processes: one file at a time
// keeps a 2-core machine responsive and the timings honest. The timeouts only catch a
// hang: on a busy machine these process-heavy tests take many times their quiet time.
export default mergeConfig(
  shared,
  defineConfig({ test: { fileParallelism: false, testTimeout: 180_000, hookTimeout: 180_000 } }),
);
