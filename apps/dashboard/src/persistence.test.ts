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
import { MESSAGE_TIMEOUT_MS, type Recorder, record } from './test-client.js';
import type { DashboardCheckpoint } from './trainer-messages.js';

const { startDashboardServer } = (await import(
  new URL('../dist/server.js', import.meta.url).href
)) as typeof import('./server.js');

type Message = Record<string, unknown>;
const isType = (type: string) => (m: Message) => m['type'] === type;
const updateBeyond = (samples: number) => (m: Message) =>
  m['type'] === 'params-update' && (m['samples'] as number) > samples;

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
  const server = await startDashboardServer({
    port: 0,
    rate: 4000,
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

async function command(client: Recorder, message: Message, id: string): Promise<Message> {
  client.send({ ...message, id });
  return client.next((m) => m['id'] === id, MESSAGE_TIMEOUT_MS);
}

/** Trains past `samples`, pauses, and closes; returns the state at the pause. */
async function trainPauseClose(server: DashboardServer, samples: number): Promise<Message> {
  const client = await record(server.wsUrl);
  await client.next(updateBeyond(samples));
  const mark = client.messages.length;
  expect(await command(client, { type: 'pause' }, 'p')).toMatchObject({ type: 'command-ack' });
  const paused = await client.next(
    (m) => m['type'] === 'state-changed' && m['reason'] === 'pause',
    MESSAGE_TIMEOUT_MS,
    mark,
  );
  client.ws.close();
  await server.close();
  return paused;
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

describe('the run survives a restart', () => {
  // One real checkpoint, made once, that the other tests copy or spoil.
  let valid = '';
  beforeAll(async () => {
    const file = join(await tempDir(), 'run.json');
    const server = await startDashboardServer({ port: 0, rate: 4000, checkpointFile: file });
    await trainPauseClose(server, 1000);
    valid = await readFile(file, 'utf8');
  });

  it('a graceful stop saves the run; a new server resumes it bitwise, then trains on', async () => {
    const file = join(await tempDir(), 'run.json');
    // A long interval: only the save on close can have written the file.
    const first = await startDashboardServer({
      port: 0,
      rate: 4000,
      checkpointFile: file,
      checkpointIntervalMs: 600_000,
    });
    const paused = await trainPauseClose(first, 1500);
    const saved = await readCheckpoint(file);
    expect(saved).toMatchObject({ paused: true, diverged: null, source: 'seed' });
    expect(samplesOf(saved)).toBe(paused['samples']);
    expect(saved.session.learner.steps).toBe(paused['step']);
    expect(saved.session.learner.params).toEqual(paused['params']);

    const { server, line } = await serverWithLog({ checkpointFile: file });
    try {
      expect(await line(/resumed from the checkpoint/)).toContain(
        `at sample ${paused['samples']}, step ${paused['step']} (paused)`,
      );
      const client = await record(server.wsUrl);
      const snapshot = await client.next(isType('snapshot'));
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
      expect(await command(client, { type: 'resume' }, 'r')).toMatchObject({
        type: 'command-ack',
      });
      const update = await client.next(updateBeyond(paused['samples'] as number));
      expect(update['step'] as number).toBeGreaterThan(paused['step'] as number);
      client.ws.close();
    } finally {
      await server.close();
    }
  });

  it('the race is saved with the run and restored: contestants, colours, a diverged one, learners bitwise', async () => {
    const file = join(await tempDir(), 'run.json');
    const first = await startDashboardServer({
      port: 0,
      rate: 4000,
      checkpointFile: file,
      checkpointIntervalMs: 600_000,
    });
    const client = await record(first.wsUrl);
    await command(
      client,
      { type: 'add-contestant', optimizer: 'rmsprop', options: { lr: 0.01 } },
      'a',
    );
    await command(client, { type: 'add-contestant', optimizer: 'sgd', options: { lr: 5 } }, 's');
    await client.next(
      (m) => m['type'] === 'state-changed' && m['reason'] === 'contestant-diverged',
    );
    client.ws.close();
    const paused = await trainPauseClose(first, 2000);
    const saved = await readCheckpoint(file);
    expect(saved.contestants?.entrants.map((entrant) => [entrant.id, entrant.colour])).toEqual([
      ['c1', 1],
      ['c2', 2],
    ]);

    const server = await startDashboardServer({ port: 0, rate: 4000, checkpointFile: file });
    try {
      const viewer = await record(server.wsUrl);
      const snapshot = await viewer.next(isType('snapshot'));
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
      const added = await viewer.next(
        (m) => m['type'] === 'state-changed' && m['reason'] === 'add-contestant',
      );
      expect((added['config'] as { contestants: Message[] }).contestants.at(-1)).toMatchObject({
        id: 'c3',
        colour: 3,
      });
      viewer.ws.close();
    } finally {
      await server.close();
    }
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

    const { server, line, lines } = await serverWithLog({ checkpointFile: file });
    try {
      expect(await line(/resumed from the checkpoint/)).toContain(
        `at sample ${samplesOf(last)}, step ${last.session.learner.steps}`,
      );
      const client = await record(server.wsUrl);
      const snapshot = await client.next(isType('snapshot'));
      expect(snapshot['samples'] as number).toBeGreaterThanOrEqual(samplesOf(last));
      client.ws.close();
    } finally {
      await server.close();
    }
    expect(lines.filter((l) => /not restored/.test(l))).toEqual([]);
    // The next write replaced the stray temp file; nothing was set aside.
    expect((await readdir(dir)).sort()).toEqual(['run.json']);
  });

  it('a diverged run is restored diverged (paused at its last healthy state); reset restarts it', async () => {
    const file = join(await tempDir(), 'run.json');
    const first = await startDashboardServer({ port: 0, rate: 4000, checkpointFile: file });
    const client = await record(first.wsUrl);
    await client.next(isType('snapshot'));
    const mark = client.messages.length;
    await command(client, { type: 'set-optimizer', optimizer: 'sgd', lr: 1 }, 'sgd');
    const diverged = await client.next(
      (m) => m['type'] === 'state-changed' && m['reason'] === 'diverged',
      30_000,
      mark,
    );
    client.ws.close();
    await first.close();
    const saved = await readCheckpoint(file);
    expect(saved.diverged).toEqual(diverged['diverged']);
    expect(saved.session.learner.params.every(Number.isFinite)).toBe(true);

    const { server, line } = await serverWithLog({ checkpointFile: file });
    try {
      expect(await line(/resumed from the checkpoint/)).toContain('(diverged, paused)');
      const viewer = await record(server.wsUrl);
      const snapshot = await viewer.next(isType('snapshot'));
      expect(snapshot['diverged']).toEqual(diverged['diverged']);
      expect((snapshot['config'] as Message)['paused']).toBe(true);
      expect(await command(viewer, { type: 'resume' }, 'r')).toMatchObject({ type: 'error' });
      expect(await command(viewer, { type: 'reset' }, 'x')).toMatchObject({ type: 'command-ack' });
      await viewer.next(updateBeyond(snapshot['samples'] as number));
      viewer.ws.close();
    } finally {
      await server.close();
    }
  });

  it('a fresh start ignores the checkpoint, and later overwrites it', async () => {
    const file = join(await tempDir(), 'run.json');
    await writeFile(file, valid);
    const before = samplesOf(JSON.parse(valid) as DashboardCheckpoint);
    const { server, lines } = await serverWithLog({ checkpointFile: file, fresh: true, rate: 50 });
    let samples: number;
    try {
      const client = await record(server.wsUrl);
      const snapshot = await client.next(isType('snapshot'));
      samples = snapshot['samples'] as number;
      expect(samples).toBeLessThan(before);
      expect(await readFile(file, 'utf8')).toBe(valid);
      client.ws.close();
    } finally {
      await server.close();
    }
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
      () => {
        const c = JSON.parse(valid) as DashboardCheckpoint;
        return JSON.stringify({
          ...c,
          session: { ...c.session, learner: { ...c.session.learner, params: ['x', {}] } },
        });
      },
    ],
    [
      'with a foreign generator (refused by the trainer)',
      () => {
        const c = JSON.parse(valid) as DashboardCheckpoint;
        const generator = { ...c.session.generator, spec: { kind: 'linear', slope: 1e9 } };
        return JSON.stringify({ ...c, session: { ...c.session, generator } });
      },
    ],
    [
      'of another seed (refused by the trainer)',
      () => JSON.stringify({ ...(JSON.parse(valid) as DashboardCheckpoint), seed: 7 }),
    ],
    [
      'with too many contestants',
      () => {
        const entrant = {
          id: 'c1',
          name: 'adam',
          optimizer: 'adam',
          options: {},
          colour: 1,
          diverged: null,
          params: [0, 0],
          steps: 0,
        };
        const entrants = Array.from({ length: 8 }, (_, i) => ({ ...entrant, id: `c${i + 1}` }));
        const contestants = { nextId: 9, entrants, race: null };
        return JSON.stringify({ ...(JSON.parse(valid) as DashboardCheckpoint), contestants });
      },
    ],
    [
      'with a race that disagrees with its contestants (refused by the trainer)',
      () => {
        const entrant = {
          id: 'c1',
          name: 'adam',
          optimizer: 'adam',
          options: {},
          colour: 1,
          diverged: null,
          params: [0, 0],
          steps: 0,
        };
        const contestants = { nextId: 2, entrants: [entrant], race: null };
        return JSON.stringify({ ...(JSON.parse(valid) as DashboardCheckpoint), contestants });
      },
    ],
  ];

  it.each(spoilt)(
    'a checkpoint file %s is moved aside; the server starts fresh and stays up',
    async (_name, make) => {
      const dir = await tempDir();
      const file = join(dir, 'run.json');
      const content = make();
      await writeFile(file, content);
      const { server, line, lines } = await serverWithLog({ checkpointFile: file, rate: 50 });
      try {
        await line(/checkpoint not restored/);
        const client = await record(server.wsUrl);
        const snapshot = await client.next(isType('snapshot'));
        expect(snapshot['samples'] as number).toBeLessThan(1000);
        await client.next(updateBeyond(snapshot['samples'] as number));
        client.ws.close();
        const aside = (await readdir(dir)).filter((name) => name.startsWith('run.json.corrupt-'));
        expect(aside).toHaveLength(1);
        expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe(content);
      } finally {
        await server.close();
      }
      const notes = lines.filter((l) => /checkpoint/.test(l));
      expect(notes).toHaveLength(1);
      expect(notes[0]!.length).toBeLessThanOrEqual(240);
      expect(notes[0]).toMatch(/starting fresh/);
      // Closing saved the fresh run in its place.
      expect(samplesOf(await readCheckpoint(file))).toBeLessThan(samplesOf(JSON.parse(valid)));
    },
  );
});
