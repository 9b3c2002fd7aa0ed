// What one bench process spent while it was measured: CPU time (user + system) and
// how late its event loop ran (perf_hooks' event-loop delay, 1 ms resolution). A
// busy event loop is time every frame waits before it is sent or read.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** CPU and event-loop figures of one process over a window. */
export interface ProcessLoad {
  seconds: number;
  /** CPU time over wall time: 1 is one core busy all the time. */
  cpu: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/**
 * Starts watching this process; `stop()` returns the figures since the start.
 *
 * @example
 * ```ts
 * const watch = watchLoad();
 * // ... work ...
 * console.log(watch.stop().cpu);
 * ```
 */
export function watchLoad(): { stop(): ProcessLoad } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const cpu = process.cpuUsage();
  const start = performance.now();
  return {
    stop() {
      histogram.disable();
      const used = process.cpuUsage(cpu);
      const seconds = (performance.now() - start) / 1000;
      const ms = (ns: number) => ns / 1e6;
      return {
        seconds,
        cpu: (used.user + used.system) / 1e6 / seconds,
        eventLoopDelayMs: {
          p50: ms(histogram.percentile(50)),
          p99: ms(histogram.percentile(99)),
          max: ms(histogram.max),
        },
      };
    },
  };
}
