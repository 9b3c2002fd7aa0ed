/** Options of {@link BoundedLog}. */
export interface BoundedLogOptions {
  /** Lines of one kind written per window; the rest are counted. Default 5. */
  perWindow?: number;
  /** The window, ms. Default 10 000. */
  windowMs?: number;
  /** Longest line written; longer ones are cut. Default 240. */
  maxLength?: number;
  /** Clock, ms (tests). */
  now?: () => number;
}

interface Kind {
  windowStart: number;
  written: number;
  suppressed: number;
}

/** At most this many kinds are tracked; kinds are fixed strings in the server's code. */
const MAX_KINDS = 64;

/**
 * A log that a peer cannot flood: each line is cut to `maxLength`, and each kind of
 * line (a fixed string chosen by the caller, never peer data) is written at most
 * `perWindow` times per window; the rest are counted and summed up in one line when
 * the next window opens (or on {@link BoundedLog.flush}).
 *
 * @example
 * ```ts
 * const log = new BoundedLog((line) => console.error(line));
 * log.write('origin-refused', `refused a WebSocket from origin ${peerText(origin)}`);
 * ```
 */
export class BoundedLog {
  private readonly kinds = new Map<string, Kind>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly maxLength: number;
  private readonly now: () => number;

  constructor(
    private readonly sink: (line: string) => void,
    options: BoundedLogOptions = {},
  ) {
    this.perWindow = options.perWindow ?? 5;
    this.windowMs = options.windowMs ?? 10_000;
    this.maxLength = options.maxLength ?? 240;
    this.now = options.now ?? (() => performance.now());
  }

  /** Writes `line` unless lines of `kind` are over their budget. */
  write(kind: string, line: string): void {
    const now = this.now();
    let entry = this.kinds.get(kind);
    if (entry && now - entry.windowStart >= this.windowMs) {
      this.summarize(kind, entry);
      entry = undefined;
    }
    if (!entry) {
      if (this.kinds.size >= MAX_KINDS) this.flush();
      entry = { windowStart: now, written: 0, suppressed: 0 };
      this.kinds.set(kind, entry);
    }
    if (entry.written >= this.perWindow) {
      entry.suppressed++;
      return;
    }
    entry.written++;
    this.sink(line.length <= this.maxLength ? line : `${line.slice(0, this.maxLength - 1)}…`);
  }

  /** Writes the pending summaries and forgets every window (on shutdown). */
  flush(): void {
    for (const [kind, entry] of this.kinds) this.summarize(kind, entry);
  }

  private summarize(kind: string, entry: Kind): void {
    this.kinds.delete(kind);
    if (entry.suppressed > 0) {
      this.sink(`(${entry.suppressed} more "${kind}" lines suppressed in ${this.windowMs} ms)`);
    }
  }
}

/**
 * Peer-supplied text made safe for a log line: at most `length` characters, quoted,
 * control characters escaped (no forged lines), with the original length when cut.
 *
 * @example
 * ```ts
 * peerText('http://evil.example\r\nfake line'); // '"http://evil.example\\r\\nfake line"'
 * ```
 */
export function peerText(text: string | undefined, length = 64): string {
  if (text === undefined) return '(none)';
  if (text.length <= length) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, length))}… (${text.length} characters)`;
}
