// The run survives a restart: the server saves its checkpoint atomically (periodically
// and on close) and resumes from it; a fresh start ignores it; a bad file is moved
// aside and the server starts fresh and stays up. Real servers, real files in temp dirs.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardServer, DashboardServerOptions } from './server.js';
import { startServerProcess } from './server-process.js';
import {
  command,
  isType,
  MESSAGE_TIMEOUT_MS,
  type Message,
  record,
  stateChanged,
  updateBeyond,
} from './test-client.js';
import { startTestServer as start } from './test-server.js';
import type { DashboardCheckpoint } from './trainer-messages.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'adamflow-checkpoint-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A server whose log lines are kept, with a way to wait for one. */
async function serverWithLog(options: DashboardServerOptions) {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const server = await start({
    ...options,
    log: (line) => {
      lines.push(line);
      for (const wake of waiters) wake();
    },
  });
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => pattern.test(l));
        if (found === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no log line ${pattern} within 30 s; log: ${lines.join(' | ')}`));
      }, 30_000);
      waiters.add(check);
      check();
    });
  return { server, lines, line };
}

type LoggedServer = Awaited<ReturnType<typeof serverWithLog>>;

/**
 * Runs `body` against a server started with `options` whose log is kept, closes the
 * server, and returns everything it logged (closing included).
 */
async function withLoggedServer(
  options: DashboardServerOptions,
  body: (server: LoggedServer) => Promise<void>,
): Promise<string[]> {
  const logged = await serverWithLog(options);
  try {
    await body(logged);
  } finally {
    await logged.server.close();
  }
  return logged.lines;
}

/** Trains past `samples`, pauses, and closes; returns the state at the pause. */
async function trainPauseClose(server: DashboardServer, samples: number): Promise<Message> {
  const client = await record(server.wsUrl);
  await client.next(updateBeyond(samples));
  const mark = client.messages.length;
  expect(await command(client, { type: 'pause' }, 'p')).toMatchObject({ type: 'command-ack' });
  const paused = await client.next(stateChanged('pause'), MESSAGE_TIMEOUT_MS, mark);
  client.ws.close();
  await server.close();
  return paused;
}

/** Connects a viewer, and resolves with the snapshot it is greeted with and the viewer. */
async function greeted(server: DashboardServer) {
  const viewer = await record(server.wsUrl);
  return { viewer, snapshot: await viewer.next(isType('snapshot')) };
}

const readCheckpoint = async (file: string) =>
  JSON.parse(await readFile(file, 'utf8')) as DashboardCheckpoint;
const samplesOf = (c: DashboardCheckpoint) => c.session.samples + c.sampleOffset;

/** Polls `condition` (a file on disk has no event to wait on) until it holds or 60 s pass. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A contestant as a checkpoint holds it, for the spoilt files below. */
const ENTRANT = {
  id: 'c1',
  name: 'adam',
  optimizer: 'adam',
  options: {},
  colour: 1,
  diverged: null,
  params: [0, 0],
  steps: 0,
};

describe('the run survives a restart', () => {
  // One real checkpoint, made once, that the other tests copy or spoil.
  let valid = '';
  beforeAll(async () => {
    const file = join(await tempDir(), 'run.json');
    await trainPauseClose(await start({ checkpointFile: file }), 1000);
    valid = await readFile(file, 'utf8');
  });
  /** The valid checkpoint with `change` made to it, as a file's text. */
  const changed = (change: (c: DashboardCheckpoint) => object) =>
    JSON.stringify(change(JSON.parse(valid) as DashboardCheckpoint));

  it('a graceful stop saves the run; a new server resumes it bitwise, then trains on', async () => {
    const file = join(await tempDir(), 'run.json');
    // A long interval: only the save on close can have written the file.
    const first = await start({ checkpointFile: file, checkpointIntervalMs: 600_000 });
    const paused = await trainPauseClose(first, 1500);
    const saved = await readCheckpoint(file);
    expect(saved).toMatchObject({ paused: true, diverged: null, source: 'seed' });
    expect(samplesOf(saved)).toBe(paused['samples']);
    expect(saved.session.learner.steps).toBe(paused['step']);
    expect(saved.session.learner.params).toEqual(paused['params']);

    await withLoggedServer({ checkpointFile: file }, async ({ server, line }) => {
      expect(await line(/resumed from the checkpoint/)).toContain(
        `at sample ${paused['samples']}, step ${paused['step']} (paused)`,
      );
      const { viewer, snapshot } = await greeted(server);
      expect({
        step: snapshot['step'],
        samples: snapshot['samples'],
        params: snapshot['params'],
        paused: (snapshot['config'] as Message)['paused'],
      }).toEqual({
        step: paused['step'],
        samples: paused['samples'],
        params: paused['params'],
        paused: true,
      });
      expect(await command(viewer, { type: 'resume' }, 'r')).toMatchObject({
        type: 'command-ack',
      });
      const update = await viewer.next(updateBeyond(paused['samples'] as number));
      expect(update['step'] as number).toBeGreaterThan(paused['step'] as number);
      viewer.ws.close();
    });
  });

  it('the race is saved with the run and restored: contestants, colours, a diverged one, learners bitwise', async () => {
    const file = join(await tempDir(), 'run.json');
    const first = await start({ checkpointFile: file, checkpointIntervalMs: 600_000 });
    const client = await record(first.wsUrl);
    await command(
      client,
      { type: 'add-contestant', optimizer: 'rmsprop', options: { lr: 0.01 } },
      'a',
    );
    await command(client, { type: 'add-contestant', optimizer: 'sgd', options: { lr: 5 } }, 's');
    await client.next(stateChanged('contestant-diverged'));
    client.ws.close();
    const paused = await trainPauseClose(first, 2000);
    const saved = await readCheckpoint(file);
    expect(saved.contestants?.entrants.map((entrant) => [entrant.id, entrant.colour])).toEqual([
      ['c1', 1],
      ['c2', 2],
    ]);

    await withLoggedServer({ checkpointFile: file }, async ({ server }) => {
      const { viewer, snapshot } = await greeted(server);
      const contestants = (snapshot['config'] as { contestants: Message[] }).contestants;
      expect(contestants).toMatchObject([
        { id: 'c1', optimizer: 'rmsprop', options: { lr: 0.01 }, colour: 1, diverged: null },
        { id: 'c2', optimizer: 'sgd', colour: 2, diverged: { code: expect.any(String) } },
      ]);
      // The learners continue bitwise (the last loss itself is not part of a learner's state).
      const where = (m: Message) =>
        (m['contestants'] as Message[]).map(({ loss: _loss, ...status }) => status);
      expect(where(snapshot)).toEqual(where(paused));
      // The next contestant gets a new id, not one of the restored ones.
      expect(
        await command(viewer, { type: 'add-contestant', optimizer: 'adam' }, 'next'),
      ).toMatchObject({ type: 'command-ack' });
      const added = await viewer.next(stateChanged('add-contestant'));
      expect((added['config'] as { contestants: Message[] }).contestants.at(-1)).toMatchObject({
        id: 'c3',
        colour: 3,
      });
      viewer.ws.close();
    });
  });

  it('a server killed hard resumes from its last periodic checkpoint, never from a half-written temp file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'run.json');
    const child = await startServerProcess({
      port: 0,
      rate: 4000,
      checkpointFile: file,
      checkpointIntervalMs: 100,
    });
    // Every read while the child writes must find a whole checkpoint (rename is atomic).
    const unreadable: string[] = [];
    try {
      await until(async () => {
        if (!existsSync(file)) return false;
        const text = await readFile(file, 'utf8');
        try {
          return samplesOf(JSON.parse(text) as DashboardCheckpoint) > 1000;
        } catch {
          unreadable.push(text.slice(0, 80));
          return false;
        }
      }, 'a periodic checkpoint past 1000 samples');
    } finally {
      child.child.kill('SIGKILL');
      await new Promise((resolve) => child.child.once('exit', resolve));
    }
    expect(unreadable).toEqual([]);
    const last = await readCheckpoint(file);
    expect(last.paused).toBe(false);
    // A crash between writing the temp file and renaming it leaves this behind.
    await writeFile(`${file}.tmp`, '{"format":"adamflow.dashboard-checkpoint","version":1,"se');

    const lines = await withLoggedServer({ checkpointFile: file }, async ({ server, line }) => {
      expect(await line(/resumed from the checkpoint/)).toContain(
        `at sample ${samplesOf(last)}, step ${last.session.learner.steps}`,
      );
      const { viewer, snapshot } = await greeted(server);
      expect(snapshot['samples'] as number).toBeGreaterThanOrEqual(samplesOf(last));
      viewer.ws.close();
    });
    expect(lines.filter((l) => /not restored/.test(l))).toEqual([]);
    // The next write replaced the stray temp file; nothing was set aside.
    expect((await readdir(dir)).sort()).toEqual(['run.json']);
  });

  it('a diverged run is restored diverged (paused at its last healthy state); reset restarts it', async () => {
    const file = join(await tempDir(), 'run.json');
    const first = await start({ checkpointFile: file });
    const client = await record(first.wsUrl);
    await client.next(isType('snapshot'));
    const mark = client.messages.length;
    await command(client, { type: 'set-optimizer', optimizer: 'sgd', lr: 1 }, 'sgd');
    const diverged = await client.next(stateChanged('diverged'), 30_000, mark);
    client.ws.close();
    await first.close();
    const saved = await readCheckpoint(file);
    expect(saved.diverged).toEqual(diverged['diverged']);
    expect(saved.session.learner.params.every(Number.isFinite)).toBe(true);

    await withLoggedServer({ checkpointFile: file }, async ({ server, line }) => {
      expect(await line(/resumed from the checkpoint/)).toContain('(diverged, paused)');
      const { viewer, snapshot } = await greeted(server);
      expect(snapshot['diverged']).toEqual(diverged['diverged']);
      expect((snapshot['config'] as Message)['paused']).toBe(true);
      expect(await command(viewer, { type: 'resume' }, 'r')).toMatchObject({ type: 'error' });
      expect(await command(viewer, { type: 'reset' }, 'x')).toMatchObject({ type: 'command-ack' });
      await viewer.next(updateBeyond(snapshot['samples'] as number));
      viewer.ws.close();
    });
  });

  it('a fresh start ignores the checkpoint, and later overwrites it', async () => {
    const file = join(await tempDir(), 'run.json');
    await writeFile(file, valid);
    const before = samplesOf(JSON.parse(valid) as DashboardCheckpoint);
    const options = { checkpointFile: file, fresh: true, rate: 50 };
    const lines = await withLoggedServer(options, async ({ server }) => {
      const { viewer, snapshot } = await greeted(server);
      expect(snapshot['samples'] as number).toBeLessThan(before);
      expect(await readFile(file, 'utf8')).toBe(valid);
      viewer.ws.close();
    });
    expect(lines.filter((l) => /checkpoint/.test(l))).toEqual([]);
    expect(samplesOf(await readCheckpoint(file))).toBeLessThan(before);
  });

  const spoilt: [string, () => string][] = [
    ['truncated', () => valid.slice(0, Math.floor(valid.length / 2))],
    ['empty', () => ''],
    ['of another version', () => valid.replace('"version":1', '"version":2')],
    [
      'deeply nested',
      () =>
        `{"format":"adamflow.dashboard-checkpoint","version":1,"seed":${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
    ],
    ['huge', () => `${' '.repeat(5 * 1024 * 1024)}${valid}`],
    ['of wrong types', () => valid.replace('"paused":true', '"paused":"yes"')],
    [
      'with non-numeric parameters',
      () =>
        changed((c) => ({
          ...c,
          session: { ...c.session, learner: { ...c.session.learner, params: ['x', {}] } },
        })),
    ],
    [
      'with a foreign generator (refused by the trainer)',
      () =>
        changed((c) => {
          const generator = { ...c.session.generator, spec: { kind: 'linear', slope: 1e9 } };
          return { ...c, session: { ...c.session, generator } };
        }),
    ],
    ['of another seed (refused by the trainer)', () => changed((c) => ({ ...c, seed: 7 }))],
    [
      'with too many contestants',
      () => {
        const entrants = Array.from({ length: 8 }, (_, i) => ({ ...ENTRANT, id: `c${i + 1}` }));
        return changed((c) => ({ ...c, contestants: { nextId: 9, entrants, race: null } }));
      },
    ],
    [
      'with a race that disagrees with its contestants (refused by the trainer)',
      () => changed((c) => ({ ...c, contestants: { nextId: 2, entrants: [ENTRANT], race: null } })),
    ],
  ];

  it.each(spoilt)(
    'a checkpoint file %s is moved aside; the server starts fresh and stays up',
    async (_name, make) => {
      const dir = await tempDir();
      const file = join(dir, 'run.json');
      const content = make();
      await writeFile(file, content);
      const lines = await withLoggedServer({ checkpointFile: file, rate: 50 }, async (logged) => {
        await logged.line(/checkpoint not restored/);
        const { viewer, snapshot } = await greeted(logged.server);
        expect(snapshot['samples'] as number).toBeLessThan(1000);
        await viewer.next(updateBeyond(snapshot['samples'] as number));
        viewer.ws.close();
        const aside = (await readdir(dir)).filter((name) => name.startsWith('run.json.corrupt-'));
        expect(aside).toHaveLength(1);
        expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe(content);
      });
      const notes = lines.filter((l) => /checkpoint/.test(l));
      expect(notes).toHaveLength(1);
      expect(notes[0]!.length).toBeLessThanOrEqual(240);
      expect(notes[0]).toMatch(/starting fresh/);
      // Closing saved the fresh run in its place.
      expect(samplesOf(await readCheckpoint(file))).toBeLessThan(samplesOf(JSON.parse(valid)));
    },
  );
});
