/**
 * Holds a loop between two steps while paused. `wait()` resolves on `resume()` or
 * on `release()` (the loop is stopping: it checks why itself).
 *
 * @example
 * ```ts
 * import { PauseGate } from './pause-gate.js';
 * const gate = new PauseGate();
 * gate.pause();
 * setTimeout(() => gate.resume(), 10);
 * await gate.wait();
 * ```
 */
export class PauseGate {
  private opened: Promise<void> | undefined;
  private open: () => void = () => {};

  /** Whether the loop is to wait. */
  get paused(): boolean {
    return this.opened !== undefined;
  }

  pause(): void {
    this.opened ??= new Promise<void>((resolve) => {
      this.open = resolve;
    });
  }

  resume(): void {
    this.open();
    this.opened = undefined;
  }

  /** Wakes a waiting loop without resuming (it is stopping). */
  release(): void {
    this.open();
  }

  /** Resolves at once when not paused, else on `resume()` or `release()`. */
  wait(): Promise<void> {
    return this.opened ?? Promise.resolve();
  }
}
