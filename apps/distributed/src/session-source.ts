import { createGenerator, type SourceSpec } from '@adamflow/stream';
import type { KV } from '@nats-io/kv';
import { DistributedError } from './errors.js';
import { parseExact, stringifyExact } from './exact-json.js';
import type { SessionNames } from './session-names.js';

/** What a session's samples are: written once by the first produce, checked by every later one. */
export interface SessionSource {
  format: 'adamflow.session-source';
  version: 1;
  /** The fully resolved source spec (seed included). */
  spec: SourceSpec;
  /** Features per sample. */
  features: number;
}

/**
 * Records the session's source, or checks that the recorded one is the same.
 *
 * @param kv - the sessions bucket.
 * @param names - the session's names.
 * @param spec - the source to produce from.
 * @returns the recorded source.
 * @throws DistributedError `ADAMFLOW_ERR_SESSION_SOURCE_MISMATCH` when the session holds another source.
 * @example
 * ```ts
 * import { linearSpec } from '@adamflow/stream';
 * import { openNats } from './nats-context.js';
 * import { claimSource } from './session-source.js';
 * import { sessionNames } from './session-names.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * await claimSource(nats.kv, sessionNames('demo'), linearSpec({ seed: 7 }));
 * ```
 */
export async function claimSource(
  kv: KV,
  names: SessionNames,
  spec: SourceSpec,
): Promise<SessionSource> {
  const generator = createGenerator(spec);
  const source: SessionSource = {
    format: 'adamflow.session-source',
    version: 1,
    spec: generator.spec,
    features: generator.features,
  };
  const text = stringifyExact(source);
  try {
    await kv.create(names.sourceKey, text);
    return source;
  } catch {
    // Already there (or a concurrent produce won the race): it must be the same source.
  }
  const stored = await readSource(kv, names);
  if (stored === undefined || stringifyExact(stored) !== text) {
    throw new DistributedError(
      'ADAMFLOW_ERR_SESSION_SOURCE_MISMATCH',
      `session ${names.session} already holds samples of ${JSON.stringify(stored?.spec)}, not of ${JSON.stringify(source.spec)}; use another --session or the same source and seed`,
    );
  }
  return stored;
}

/**
 * Reads the session's source.
 *
 * @param kv - the sessions bucket.
 * @param names - the session's names.
 * @returns the source, or undefined when nothing was produced into the session.
 * @example
 * ```ts
 * import { openNats } from './nats-context.js';
 * import { readSource } from './session-source.js';
 * import { sessionNames } from './session-names.js';
 * const nats = await openNats({ url: 'nats://127.0.0.1:4222', name: 'example' });
 * (await readSource(nats.kv, sessionNames('demo')))?.spec.kind; // 'linear'
 * ```
 */
export async function readSource(kv: KV, names: SessionNames): Promise<SessionSource | undefined> {
  const entry = await kv.get(names.sourceKey);
  if (entry === null || entry.operation !== 'PUT') return undefined;
  const source = parseExact(entry.string()) as SessionSource;
  if (source?.format !== 'adamflow.session-source' || source.version !== 1) {
    throw new DistributedError(
      'ADAMFLOW_ERR_STREAM_CORRUPT',
      `session ${names.session}: the source record is not one produce wrote`,
    );
  }
  return source;
}
