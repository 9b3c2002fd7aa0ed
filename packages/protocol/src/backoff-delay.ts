/**
 * The wait before reconnect attempt `attempt` (1 for the first after a close), with
 * equal jitter: the ceiling `min(maxDelay, initialDelay · 2^(attempt-1))` is split in
 * half, one half always waited and the other drawn uniformly. Always at least half the
 * ceiling, so a server that is down is never hammered, yet clients that lost the same
 * server at the same moment spread out over the other half.
 *
 * @param attempt - the attempt number since the last successful open, from 1.
 * @param initialDelay - the ceiling of the first attempt, ms.
 * @param maxDelay - the largest ceiling, ms.
 * @param random - a uniform draw in [0, 1); `Math.random` by default.
 * @returns the delay in ms, in [ceiling / 2, ceiling).
 * @example
 * ```ts
 * backoffDelay(3, 250, 10_000, () => 0.5); // ceiling 1000: 750
 * ```
 */
export function backoffDelay(
  attempt: number,
  initialDelay: number,
  maxDelay: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelay, initialDelay * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}
