// The run's checkpoint on disk. Writing is atomic (temp file, fsync, rename, fsync of
// the directory), so a crash leaves either the old checkpoint or the new one, never
// half of one. Reading trusts nothing: the file may be truncated, of another version,
// or written by someone hostile, and a bad one must not stop the server from starting.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MAX_CONTESTANTS, OPTIMIZERS } from '@adamflow/protocol';
import { sourceNames } from '@adamflow/stream';
import type { DashboardCheckpoint } from './trainer-messages.js';

/** Largest checkpoint file read (a real one is a few KiB). */
export const MAX_CHECKPOINT_BYTES = 4 * 1024 * 1024;

/** What {@link readCheckpointFile} found. */
export type CheckpointRead =
  | { kind: 'none' }
  | { kind: 'ok'; checkpoint: DashboardCheckpoint }
  | { kind: 'invalid'; reason: string };

const SOURCES: ReadonlySet<string> = new Set(sourceNames);

/**
 * Reads and checks the checkpoint at `path`: `none` if there is no file, `invalid` with
 * a short reason if it is too large, not JSON, or not a dashboard checkpoint of this
 * version. The session inside is checked again when the trainer restores it.
 *
 * @example
 * ```ts
 * const read = await readCheckpointFile('.adamflow/dashboard-checkpoint.json');
 * if (read.kind === 'ok') console.log(read.checkpoint.session.samples);
 * ```
 */
export async function readCheckpointFile(
  path: string,
  maxBytes = MAX_CHECKPOINT_BYTES,
): Promise<CheckpointRead> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      // Read at most one byte past the limit: the size is not trusted (it may grow).
      const buffer = Buffer.alloc(maxBytes + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > maxBytes) return { kind: 'invalid', reason: `larger than ${maxBytes} bytes` };
      }
      text = buffer.toString('utf8', 0, length);
    } finally {
      await file.close();
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'invalid', reason: `unreadable (${(error as { code?: unknown }).code})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON (truncated?)' };
  }
  const problem = checkpointProblem(value);
  return problem === null
    ? { kind: 'ok', checkpoint: value as DashboardCheckpoint }
    : { kind: 'invalid', reason: problem };
}

/**
 * Writes `checkpoint` to `path` atomically: a temp file beside it, flushed to disk,
 * renamed over the target, then the directory flushed so the rename itself survives a
 * power cut (where the platform allows opening a directory).
 *
 * @example
 * ```ts
 * await writeCheckpointFile('.adamflow/dashboard-checkpoint.json', checkpoint);
 * ```
 */
export async function writeCheckpointFile(
  path: string,
  checkpoint: DashboardCheckpoint,
): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true });
  // One fixed name: a crash leaves at most one stray temp file, replaced by the next write.
  const temp = `${path}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(JSON.stringify(checkpoint));
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await file.close();
  await rename(temp, path);
  try {
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Windows cannot open a directory; the rename is still atomic there.
  }
}

/**
 * Moves a bad checkpoint out of the way (`<path>.corrupt-<time>`), so the next start
 * does not trip over it and it stays there to look at.
 *
 * @returns the new path.
 * @example
 * ```ts
 * const aside = await setCheckpointAside('.adamflow/dashboard-checkpoint.json');
 * ```
 */
export async function setCheckpointAside(path: string): Promise<string> {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await rename(path, aside);
  return aside;
}

/** Why `value` is not a dashboard checkpoint this server can restore, or null. */
function checkpointProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'not an object';
  if (value['format'] !== 'adamflow.dashboard-checkpoint') return 'not a dashboard checkpoint';
  if (value['version'] !== 1) return `version ${short(value['version'])}, this server reads 1`;
  if (!Number.isSafeInteger(value['seed'])) return 'seed is not an integer';
  if (typeof value['source'] !== 'string' || !SOURCES.has(value['source'])) {
    return `source is not one of ${sourceNames.join(', ')}`;
  }
  if (!isCount(value['sampleOffset']) || !isCount(value['sourceStart'])) {
    return 'sampleOffset and sourceStart must be counts';
  }
  if (typeof value['paused'] !== 'boolean') return 'paused is not a boolean';
  const diverged = value['diverged'];
  if (diverged !== null && !isDiverged(diverged)) return 'diverged is malformed';
  const session = value['session'];
  if (!isRecord(session) || session['format'] !== 'adamflow.session' || session['version'] !== 1) {
    return 'session is not a version 1 session checkpoint';
  }
  if (!isCount(session['samples'])) return 'session.samples is not a count';
  const learner = session['learner'];
  const params = isRecord(learner) ? learner['params'] : undefined;
  if (
    !Array.isArray(params) ||
    params.length === 0 ||
    params.length > 64 ||
    !params.every((p) => typeof p === 'number' && Number.isFinite(p))
  ) {
    return 'session.learner.params is not a short list of finite numbers';
  }
  if (!isRecord(session['generator'])) return 'session.generator is not an object';
  const contestants = value['contestants'];
  return contestants === undefined ? null : contestantsProblem(contestants);
}

/** Why `value` is not the race a checkpoint keeps, or null; the learners are checked on restore. */
function contestantsProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'contestants is not an object';
  if (!Number.isSafeInteger(value['nextId']) || (value['nextId'] as number) < 1) {
    return 'contestants.nextId is not a positive integer';
  }
  const entrants = value['entrants'];
  if (!Array.isArray(entrants) || entrants.length > MAX_CONTESTANTS - 1) {
    return `contestants.entrants is not a list of at most ${MAX_CONTESTANTS - 1}`;
  }
  if (!entrants.every(isEntrant)) return 'contestants.entrants has a malformed entrant';
  const race = value['race'];
  if (race !== null && !(isRecord(race) && race['format'] === 'adamflow.race')) {
    return 'contestants.race is neither null nor a race state';
  }
  return null;
}

function isEntrant(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { id, name, optimizer, options, colour, diverged, params, steps } = value;
  return (
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= 16 &&
    typeof name === 'string' &&
    name.length <= 32 &&
    (OPTIMIZERS as readonly unknown[]).includes(optimizer) &&
    isRecord(options) &&
    Object.keys(options).length <= 16 &&
    Object.values(options).every(
      (option) => typeof option === 'number' || typeof option === 'boolean',
    ) &&
    Number.isInteger(colour) &&
    (colour as number) >= 1 &&
    (colour as number) < MAX_CONTESTANTS &&
    (diverged === null || isDiverged(diverged)) &&
    Array.isArray(params) &&
    params.length <= 64 &&
    params.every((p) => typeof p === 'number' && Number.isFinite(p)) &&
    isCount(steps)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isDiverged(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value['code'] === 'string' &&
    value['code'].length <= 100 &&
    typeof value['message'] === 'string' &&
    value['message'].length <= 300 &&
    isCount(value['step']) &&
    isCount(value['samples'])
  );
}

function short(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}
