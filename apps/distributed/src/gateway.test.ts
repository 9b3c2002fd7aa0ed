import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { linearSpec } from '@adamflow/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Gateway, type GatewayOptions, startGateway } from './gateway.js';
import { type NatsContext, openNats } from './nats-context.js';
import { encodeUpdate, openUpdatesStream } from './params-updates.js';
import { produce } from './produce.js';
import { sessionNames } from './session-names.js';
import { referenceRun } from './testing/reference.js';
import { ADAMFLOW } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';
import { openViewer, type Viewer } from './testing/viewer.js';
import { runTrainer, type TrainerResult } from './trainer.js';

let server: NatsServerHandle;
let nats: NatsContext;
const gateways: Gateway[] = [];
const viewers: Viewer[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'gateway-test' });
});

afterAll(async () => {
  for (const viewer of viewers) viewer.ws.terminate();
  for (const gateway of gateways) await gateway.close();
  await nats?.close();
  await server?.dispose();
});

/** A session with a source (as produce leaves it) and an updates stream, but no trainer. */
async function session(name: string): Promise<void> {
  await produce(nats, { session: name, spec: linearSpec({ seed: 1 }), samples: 256 });
  await openUpdatesStream(nats, sessionNames(name));
}

/** Publishes updates number `from` to `to` as a trainer would (params grow with `n`). */
async function publish(name: string, from: number, to: number, params = 2): Promise<void> {
  for (let n = from; n <= to; n++) {
    const update = encodeUpdate({
      format: 'adamflow.params-update',
      version: 1,
      session: name,
      epoch: 'input',
      seq: n * 4,
      samples: n * 1024,
      step: n * 1024,
      lossEma: 1 / n,
      params: Array.from({ length: params }, (_, j) => n + j / 8),
    });
    await nats.js.publish(sessionNames(name).updatesSubject, update);
  }
}

async function gateway(options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const started = await startGateway({ nats, port: 0, ...options });
  gateways.push(started);
  return started;
}

async function viewer(at: Gateway, query: string): Promise<Viewer> {
  const opened = await openViewer(`${at.wsUrl}?${query}`);
  viewers.push(opened);
  return opened;
}

const seqs = (frames: Viewer['frames']) =>
  frames.filter((f) => f.type !== 'snapshot').map((f) => f.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('adamflow gateway', () => {
  it('runs as `adamflow gateway --nats URL --port 0`, serves the page and a session, stops on SIGTERM', async () => {
    await session('command-line');
    const child = spawn(process.execPath, [ADAMFLOW, 'gateway', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ADAMFLOW_NATS_URL: server.url },
    });
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += String(chunk);
          const found = /serving (http:\/\/\S+)\?session=NAME/.exec(stderr);
          if (found) resolve(found[1]!);
        });
        child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${stderr}`)));
      });
      const page = await fetch(`${url}?session=command-line`);
      expect([page.status, (await page.text()).includes('<html')]).toEqual([200, true]);
      const v = await openViewer(`${url.replace('http', 'ws')}ws?session=command-line`);
      viewers.push(v);
      await v.until((f) => f.type === 'snapshot');
      expect(v.frames[0]).toMatchObject({ config: { source: 'seed' }, truth: [4, 3] });
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('shows the same frames, byte for byte, through two gateways (one started later)', async () => {
    await session('same');
    const first = await gateway();
    const a = await viewer(first, 'session=same');
    await publish('same', 1, 10);
    await a.until((f) => f.seq === 10);
    const epoch = String(a.frames[0]!.epoch);
    // The second one starts with a ring of 4 (7..10), and one of its viewers resumes from 6.
    const second = await gateway({ ringSize: 4 });
    const b = await viewer(second, 'session=same');
    const c = await viewer(second, `session=same&seq=6&epoch=${epoch}`);
    await publish('same', 11, 30);
    await Promise.all([a, b, c].map((v) => v.until((f) => f.seq === 30)));
    const [snapshotA, snapshotB] = [a.frames[0]!, b.frames[0]!];
    expect([snapshotA.type, snapshotB.type]).toEqual(['snapshot', 'snapshot']);
    expect(snapshotB.epoch).toBe(epoch);
    expect(seqs(a.frames)).toEqual(range(1, 30));
    // From where each joined, all got the very same bytes.
    expect(b.texts.slice(1)).toEqual(a.texts.slice(11));
    expect(c.texts).toEqual(a.texts.slice(7));
    const last = a.frames.at(-1)!;
    expect(last).toMatchObject({ type: 'params-update', samples: 30 * 1024, params: [30, 30.125] });
    // The rate comes from the message before (0 when two share a millisecond).
    expect(a.frames.slice(2).some((f) => (f['samplesPerSecond'] as number) > 0)).toBe(true);
  });

  it('replays exactly the missed frames to a viewer that comes back with its seq, from the ring or the stream', async () => {
    await session('resume');
    const at = await gateway({ ringSize: 4 });
    const first = await viewer(at, 'session=resume');
    await publish('resume', 1, 5);
    await first.until((f) => f.seq === 5);
    const epoch = String(first.frames[0]!.epoch);
    await first.close();
    // 3 missed: all in the ring.
    await publish('resume', 6, 8);
    const fromRing = await viewer(at, `session=resume&seq=5&epoch=${epoch}`);
    await fromRing.until((f) => f.seq === 8);
    await fromRing.close();
    // 12 missed, more than the ring holds: the older ones are read again from the stream.
    await publish('resume', 9, 20);
    const fromStream = await viewer(at, `session=resume&seq=8&epoch=${epoch}`);
    await publish('resume', 21, 22);
    await fromStream.until((f) => f.seq === 22);
    expect(fromRing.frames.map((f) => f.seq)).toEqual(range(6, 8));
    expect(fromStream.frames.map((f) => f.seq)).toEqual(range(9, 22));
    expect(fromStream.frames.every((f) => f.type === 'params-update')).toBe(true);
    // Replayed or live, the bytes are the same: a viewer from the start gets exactly them.
    const along = await viewer(at, `session=resume&seq=0&epoch=${epoch}`);
    await along.until((f) => f.seq === 22);
    expect(along.texts).toEqual([...first.texts.slice(1), ...fromRing.texts, ...fromStream.texts]);
    expect(at.stats()).toMatchObject({ resumed: 3, resets: 0 });
  });

  it('resets a viewer too far behind, or from another epoch, with a fresh snapshot', async () => {
    await session('behind');
    const at = await gateway({ ringSize: 2, maxReplay: 5 });
    const first = await viewer(at, 'session=behind');
    await publish('behind', 1, 3);
    await first.until((f) => f.seq === 3);
    const epoch = String(first.frames[0]!.epoch);
    // A witness that stays: the gateway has frame 12 once it has shown it, so the
    // snapshots below cannot race the gateway's own read of the stream.
    const witness = await viewer(at, 'session=behind');
    await first.close();
    await publish('behind', 4, 12);
    await witness.until((f) => f.seq === 12);
    const behind = await viewer(at, `session=behind&seq=3&epoch=${epoch}`);
    // Within the ring, but of another history.
    const otherEpoch = await viewer(at, 'session=behind&seq=11&epoch=another');
    await Promise.all([behind, otherEpoch].map((v) => v.until((f) => f.type === 'snapshot')));
    for (const v of [behind, otherEpoch]) {
      expect(v.frames[0]).toMatchObject({ type: 'snapshot', seq: 12, epoch, samples: 12 * 1024 });
    }
    expect(at.stats().resets).toBe(2);
  });

  it('does not let a viewer that never reads slow the others', async () => {
    await session('slow');
    const at = await gateway({ highWaterMark: 64 * 1024, stuckTimeoutMs: 600_000 });
    const slow = await viewer(at, 'session=slow');
    await slow.until((f) => f.type === 'snapshot');
    // Stop reading: the kernel's buffers fill, then the gateway's send buffer.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const fast = await Promise.all(range(1, 3).map(() => viewer(at, 'session=slow')));
    // 300 frames of ~100 KB: far more than the slow one's socket buffers hold (loopback's
    // autotuned buffers can take several MB each way, which 120 frames barely passed).
    await publish('slow', 1, 300, 5000);
    await Promise.all(fast.map((v) => v.until((f) => f.seq === 300)));
    for (const v of fast) expect(seqs(v.frames)).toEqual(range(1, 300));
    expect(at.stats().skippedFrames).toBeGreaterThan(0);
    slow.ws.terminate();
  });

  it('skips a garbage message on the updates subject, logs it briefly, and goes on', async () => {
    await session('garbage');
    const lines: string[] = [];
    const at = await gateway({ maxMessageBytes: 4096, log: (line) => lines.push(line) });
    const v = await viewer(at, 'session=garbage');
    const subject = sessionNames('garbage').updatesSubject;
    await publish('garbage', 1, 1);
    await nats.js.publish(subject, new TextEncoder().encode('{"format": not json'));
    await nats.js.publish(subject, new TextEncoder().encode('{"session":"garbage","samples":-1}'));
    await nats.js.publish(subject, new Uint8Array(10_000).fill(0x7b));
    await publish('garbage', 2, 2);
    await v.until((f) => f.seq === 5);
    expect(seqs(v.frames)).toEqual([1, 5]);
    expect(at.stats().skippedMessages).toBe(3);
    expect(lines.filter((line) => line.includes('skipped message'))).toHaveLength(3);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(240);
  });

  it('refuses an unknown session and a malformed query; bounds the sessions it follows', async () => {
    await session('one');
    await session('two');
    const at = await gateway({ maxSessions: 1 });
    const status = (query: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${at.wsUrl}${query}`);
        ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        ws.once('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.once('error', reject);
      });
    expect(await status('?session=nobody')).toBe(404);
    expect(await status('')).toBe(400);
    expect(await status('?session=one&seq=x&epoch=e')).toBe(400);
    const one = await viewer(at, 'session=one');
    await one.until((f) => f.type === 'snapshot');
    expect(await status('?session=two')).toBe(503);
  });

  it('passes commands to the trainer, acknowledged, with the token; a set-lr changes training and the run stays bitwise exact', async () => {
    const name = 'command';
    const spec = linearSpec({ seed: 5 });
    await produce(nats, { session: name, spec, samples: 50_000 });
    const at = await gateway({ token: 'right' });
    const trainerNats = await openNats({ url: server.url, name: 'gateway-test-trainer' });
    let pausedAt = -1;
    const controller = new AbortController();
    let trained: () => void = () => {};
    const allTrained = new Promise<void>((resolve) => {
      trained = resolve;
    });
    const training: Promise<TrainerResult> = runTrainer(trainerNats, {
      session: name,
      optimizer: 'adam',
      lr: 0.01,
      batchSize: 1,
      updateEvery: 1,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.event === 'checkpoint' && event.samples === 100_000) trained();
      },
    });
    try {
      const v = await viewer(at, `session=${name}`);
      await v.until((f) => f.type === 'snapshot');
      const send = (message: object) => v.ws.send(JSON.stringify(message));
      const answer = (id: string) =>
        v.until((f) => f['id'] === id).then(() => v.frames.find((f) => f['id'] === id));
      send({ type: 'pause', id: 'wrong', token: 'wrong' });
      expect(await answer('wrong')).toMatchObject({
        type: 'error',
        code: 'ADAMFLOW_ERR_UNAUTHORIZED',
      });
      // The trainer may still be taking its lease: a refusal then says so, and a retry gets through.
      send({ type: 'pause', id: 'pause-1', token: 'right' });
      let paused = await answer('pause-1');
      for (let attempt = 2; paused?.type === 'error' && attempt < 60; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const id = `pause-${attempt}`;
        send({ type: 'pause', id, token: 'right' });
        paused = await answer(id);
      }
      expect(paused).toMatchObject({ type: 'command-ack', command: 'pause' });
      await v.until((f) => f.type === 'state-changed' && f['reason'] === 'pause');
      // More samples while paused: none is learned until the resume.
      await produce(nats, { session: name, spec, samples: 100_000 });
      // The same validation as the dashboard's (the protocol's bounds), then the trainer's.
      send({ type: 'set-lr', lr: 0, id: 'lr-zero', token: 'right' });
      expect(await answer('lr-zero')).toMatchObject({ type: 'error' });
      send({ type: 'set-source', source: 'drift', id: 'source', token: 'right' });
      const refused = await answer('source');
      expect(refused).toMatchObject({ type: 'error', code: 'ADAMFLOW_ERR_COMMAND_REJECTED' });
      expect(String(refused?.['message'])).toContain('distributed mode');
      // The dashboard's newer commands are refused too (a set-rate must not resume the run).
      const fields: Record<string, object> = {
        'set-rate': { rate: 10 },
        'add-contestant': { optimizer: 'sgd' },
        'remove-contestant': { contestant: 'c1' },
        'retune-contestant': { contestant: 'c1', options: { lr: 0.1 } },
      };
      for (const type of [
        'set-rate',
        'checkpoint',
        'restore',
        'add-contestant',
        'remove-contestant',
        'retune-contestant',
      ]) {
        send({ type, ...fields[type], id: type, token: 'right' });
        const answered = await answer(type);
        expect(answered).toMatchObject({ type: 'error', code: 'ADAMFLOW_ERR_COMMAND_REJECTED' });
        expect(String(answered?.['message'])).toContain('distributed mode');
      }
      send({ type: 'set-lr', lr: 0.05, id: 'lr', token: 'right' });
      expect(await answer('lr')).toMatchObject({ type: 'command-ack', command: 'set-lr' });
      await v.until((f) => f.type === 'state-changed' && f['reason'] === 'set-lr');
      send({ type: 'resume', id: 'resume', token: 'right' });
      expect(await answer('resume')).toMatchObject({ type: 'command-ack', command: 'resume' });
      await allTrained;
      await v.until((f) => f.type === 'params-update' && f['samples'] === 100_000);
      const states = v.frames.filter((f) => f.type === 'state-changed');
      const configs = states.map((f) => f['config'] as { paused: boolean; lr: number });
      expect(states.map((f, i) => [f['reason'], configs[i]!.paused, configs[i]!.lr])).toEqual([
        ['pause', true, 0.01],
        ['set-lr', true, 0.05],
        ['resume', false, 0.05],
      ]);
      // Between the pause and the resume the trainer published nothing.
      const pauseAt = v.frames.indexOf(states[0]!);
      const resumeAt = v.frames.indexOf(states[2]!);
      expect(v.frames.slice(pauseAt + 1, resumeAt).map((f) => f.type)).not.toContain(
        'params-update',
      );
      expect(states[2]!['samples']).toBe(states[0]!['samples']);
      pausedAt = Number(states[0]!['samples']);
    } finally {
      controller.abort();
    }
    const end = await training;
    await trainerNats.close();
    // The new lr applies from where the run was paused: bitwise as a local run told so.
    const reference = referenceRun({
      seed: 5,
      samples: 100_000,
      commands: [{ samples: pausedAt, command: { type: 'set-lr', lr: 0.05 } }],
    });
    expect(end.samples).toBe(100_000);
    expect(bits(end.params)).toEqual(bits(reference.params));
    expect(bits(end.params)).not.toEqual(bits(referenceRun({ seed: 5, samples: 100_000 }).params));
  });
});

/** The float64 bits of each number, so that equality is bitwise. */
function bits(values: ArrayLike<number>): string[] {
  return Array.from(new BigUint64Array(Float64Array.from(values).buffer), (b) => b.toString(16));
}
