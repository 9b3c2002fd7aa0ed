import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, lastValueFrom, map, Subject, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { batchCounter } from '../test/batch-counter.js';
import { fromCsv } from './data/from-csv.js';
import { fromIterable } from './data/from-iterable.js';
import type { Row, StreamPosition } from './data/row.js';
import { createGenerator, linearSpec, logisticSpec } from './generators.js';
import { linearRegression } from './model.js';
import {
  type SessionCheckpoint,
  type SessionCommand,
  type SessionEvent,
  type StreamSessionCheckpoint,
  type StreamSessionConfig,
  trainSession,
} from './train-session.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const kinds = (events: { type: string }[]) => events.map((e) => e.type);
/** A promise and the function that resolves it: wait for an event, not for time. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
/** Waits `turns` macrotasks: a producer still running would have had a batch in each. */
async function idle(turns: number, ms: number): Promise<void> {
  const sleep = new Promise((resolve) => setTimeout(resolve, ms));
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
  await sleep;
}

describe('trainSession in virtual time (marbles)', () => {
  it('paces updates, pauses and resumes without losing or duplicating a sample', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const control = cold<SessionCommand>('250ms p 199ms r', {
        p: { type: 'pause' },
        r: { type: 'resume' },
      });
      const events = trainSession({ rate: 10, scheduler: ts, control }).pipe(
        map((e) => (e.type === 'params-update' ? `u${e.samples}` : e.type)),
        take(7),
      );
      expectObservable(events).toBe('a 99ms b 99ms c 49ms d 199ms e 99ms f 99ms (g|)', {
        a: 'run-start',
        b: 'u1',
        c: 'u2',
        d: 'run-paused',
        e: 'run-resumed',
        f: 'u3',
        g: 'u4',
      });
    });
  });

  it('announces every change, and rejects bad commands without stopping', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const control = cold<SessionCommand>('5ms a b c d e f', {
        a: { type: 'set-lr', lr: 0.05 },
        b: { type: 'set-lr', lr: -1 },
        c: { type: 'set-optimizer', optimizer: 'sgd' },
        d: { type: 'reset' },
        e: { type: 'set-rate', rate: 5 },
        f: { type: 'launch' } as never,
      });
      const events = trainSession({ rate: 10, scheduler: ts, control }).pipe(
        filter((e) => e.type !== 'params-update'),
        map((e) => e.type),
        take(7),
      );
      expectObservable(events).toBe('a 4ms b c d e f (g|)', {
        a: 'run-start',
        b: 'lr-changed',
        c: 'command-rejected',
        d: 'optimizer-changed',
        e: 'run-reset',
        f: 'rate-changed',
        g: 'command-rejected',
      });
    });
  });

  it('ends with run-end after the given number of samples', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const events = trainSession({ rate: 100, scheduler: ts, samples: 3 }).pipe(
        map((e) => e.type),
      );
      expectObservable(events).toBe('a 9ms b 9ms c 9ms (de|)', {
        a: 'run-start',
        b: 'params-update',
        c: 'params-update',
        d: 'params-update',
        e: 'run-end',
      });
    });
  });
});

describe('trainSession on the event loop', () => {
  it('learns the seed line flat out', async () => {
    const end = await lastValueFrom(trainSession({ samples: 100_000, lr: 0.01 }));
    expect(end.type).toBe('run-end');
    if (end.type !== 'run-end') return;
    expect(end.samples).toBe(100_000);
    expect(Math.abs(end.params[0]! - 4)).toBeLessThan(0.15);
    expect(Math.abs(end.params[1]! - 3)).toBeLessThan(0.15);
  });

  it('checkpoint then resume continues on the bitwise-same trajectory', async () => {
    const options = { samples: 200_000, batchSize: 4, lr: 0.02, optimizer: 'amsgrad' as const };
    const straight = await lastValueFrom(trainSession(options));

    // Checkpoint from a timer, wherever the run happens to be (usually mid-minibatch).
    const control = new Subject<SessionCommand>();
    let checkpoint: SessionCheckpoint | undefined;
    const progressed = signal();
    const first = trainSession({ ...options, control }).subscribe((event) => {
      if (event.type === 'params-update') progressed.resolve();
      if (event.type === 'checkpoint-created') {
        checkpoint = JSON.parse(JSON.stringify(event.checkpoint));
        first.unsubscribe();
      }
    });
    // Wait until the run has made progress, then checkpoint from a timer.
    await progressed.promise;
    control.next({ type: 'checkpoint' });
    expect(checkpoint).toBeDefined();
    expect(checkpoint!.samples).toBeGreaterThan(0);
    expect(checkpoint!.samples).toBeLessThan(200_000);
    const resumed = await lastValueFrom(trainSession({ ...options, from: checkpoint! }));
    expect(resumed).toEqual(straight);
  });

  it('set-source to another shape swaps the model and restarts the params', async () => {
    const control = new Subject<SessionCommand>();
    const events: SessionEvent[] = [];
    const done = lastValueFrom(trainSession({ rate: 1000, control, samples: 50 }).pipe(toArray()));
    control.next({ type: 'set-source', source: logisticSpec({ features: 3 }) });
    control.next({ type: 'set-source', source: { kind: 'nope' } as never });
    events.push(...(await done));
    const changed = events.find((e) => e.type === 'source-changed');
    expect(changed && changed.type === 'source-changed' && changed.config.model).toBe(
      'logistic-regression',
    );
    expect(changed && changed.type === 'source-changed' && changed.params).toEqual([0, 0, 0, 0]);
    expect(kinds(events)).toContain('command-rejected');
    const last = events.at(-1)!;
    expect(last.type === 'run-end' && last.params.length).toBe(4);
  });

  it('refuses invalid options and checkpoints at the call', () => {
    expect(() => trainSession({ optimizer: 'lion' as never })).toThrow(/optimizer must be one of/);
    expect(() => trainSession({ source: linearSpec({ noise: -1 }) })).toThrow(RangeError);
    expect(() => trainSession({ from: { format: 'x' } as never })).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_CHECKPOINT_INVALID' }) as unknown as Error,
    );
    expect(() => trainSession({ samples: -1 })).toThrow(RangeError);
  });

  it('stops producing after unsubscribe', async () => {
    // The subscriber hears nothing once unsubscribed, whatever the producer does: count
    // the samples drawn and the batches scheduled instead.
    const counter = batchCounter();
    let drawn = 0;
    const running = signal();
    const session = trainSession({ scheduler: counter.scheduler, onSample: () => drawn++ });
    const sub = session.subscribe((event) => {
      if (event.type === 'params-update' && event.samples > 1) running.resolve();
    });
    await running.promise;
    sub.unsubscribe();
    const seen = { drawn, batches: counter.batches };
    await idle(10, 20);
    expect({ drawn, batches: counter.batches }).toEqual(seen);
    expect(seen.drawn).toBeGreaterThan(1);
  });
});

describe('trainSession on a stream of your own', () => {
  const N = 3000;
  /** N samples of the seed line, as plain rows. */
  const rows = () => {
    const generator = createGenerator(linearSpec({ seed: 9 }));
    return Array.from({ length: N }, () => {
      const { x, y } = generator.next();
      return { x, y };
    });
  };
  const options = { optimizer: 'adam' as const, lr: 0.05, batchSize: 2 };
  /** The same rows as a CSV file, with a header. */
  function csvFile(): string {
    const path = join(mkdtempSync(join(tmpdir(), 'adamflow-session-')), 'rows.csv');
    // Enough digits that the numbers read back bit for bit.
    writeFileSync(
      path,
      `x,y\n${rows()
        .map((r) => `${r.x[0]},${r.y}`)
        .join('\n')}\n`,
    );
    return path;
  }

  it('learns an iterable exactly as the same samples from the generator, and ends with it', async () => {
    const events = await lastValueFrom(
      trainSession({ source: rows(), model: linearRegression(), ...options }).pipe(toArray()),
    );
    const synthetic = await lastValueFrom(
      trainSession({ source: linearSpec({ seed: 9 }), samples: N, ...options }),
    );
    expect(events[0]).toMatchObject({
      type: 'run-start',
      config: { source: { kind: 'stream', resumable: false }, model: 'linear-regression' },
    });
    expect(events.at(-1)).toEqual(synthetic);
  });

  it('reads a CSV file through pause, set-lr and a checkpoint, and resumes it bitwise', async () => {
    const path = csvFile();
    const csv = (from?: StreamPosition) =>
      fromCsv(path, { target: 'y', ...(from ? { from } : {}) });
    const straight = await lastValueFrom(
      trainSession({ source: csv(), model: linearRegression(), ...options }),
    );
    const control = new Subject<SessionCommand>();
    const seen: SessionEvent<StreamSessionConfig, StreamSessionCheckpoint>[] = [];
    let checkpoint: StreamSessionCheckpoint | undefined;
    const progressed = signal();
    const first = trainSession({ source: csv(), model: linearRegression(), control, ...options });
    const subscription = first.subscribe((event) => {
      seen.push(event);
      if (event.type === 'params-update') progressed.resolve();
      if (event.type === 'checkpoint-created') {
        checkpoint = JSON.parse(JSON.stringify(event.checkpoint));
        subscription.unsubscribe();
      }
    });
    await progressed.promise;
    control.next({ type: 'pause' });
    await idle(5, 10);
    control.next({ type: 'set-lr', lr: 0.05 });
    control.next({ type: 'resume' });
    control.next({ type: 'checkpoint' });
    expect(kinds(seen).filter((kind) => kind !== 'params-update')).toEqual([
      'run-start',
      'run-paused',
      'lr-changed',
      'run-resumed',
      'checkpoint-created',
    ]);
    expect(checkpoint!.samples).toBeGreaterThan(0);
    expect(checkpoint!.samples).toBeLessThan(N);
    expect(checkpoint!.position).toMatchObject({ rows: checkpoint!.samples });
    const resumed = await lastValueFrom(
      trainSession({
        source: csv(checkpoint!.position),
        model: linearRegression(),
        from: checkpoint!,
        ...options,
      }),
    );
    expect(resumed).toEqual(straight);
  });

  it('waits while paused: an async iterable is read only a little ahead', async () => {
    let pulled = 0;
    async function* slowRows() {
      for (const row of rows()) {
        pulled++;
        yield row;
      }
    }
    const control = new Subject<SessionCommand>();
    const done = lastValueFrom(
      trainSession({ source: slowRows(), model: linearRegression(), paused: true, control }),
    );
    await idle(20, 20);
    const whilePaused = pulled;
    control.next({ type: 'resume' });
    const end = await done;
    expect(whilePaused).toBeGreaterThan(0);
    expect(whilePaused).toBeLessThan(N / 4);
    expect([end.type, end.samples, pulled]).toEqual(['run-end', N, N]);
  });

  it('holds what an Observable pushes while paused, up to maxBuffered', async () => {
    const pushed = new Subject<Row>();
    const control = new Subject<SessionCommand>();
    const done = lastValueFrom(
      trainSession({ source: pushed, model: linearRegression(), paused: true, control }),
    );
    for (const row of rows().slice(0, 5)) pushed.next(row);
    control.next({ type: 'resume' });
    pushed.complete();
    expect(await done).toMatchObject({ type: 'run-end', samples: 5 });

    const flood = new Subject<Row>();
    const failed = lastValueFrom(
      trainSession({ source: flood, model: linearRegression(), paused: true, maxBuffered: 2 }),
    );
    const resumeFailed = expect(failed).rejects.toMatchObject({
      code: 'ADAMFLOW_ERR_BUFFER_OVERFLOW',
    });
    for (const row of rows().slice(0, 3)) flood.next(row);
    await resumeFailed;
    expect(flood.observed).toBe(false);
  });

  it('refuses a checkpoint of a stream that cannot say where it stands, and goes on', async () => {
    const control = new Subject<SessionCommand>();
    const events = lastValueFrom(
      trainSession({ source: rows(), model: linearRegression(), rate: 1000, control }).pipe(
        filter((event) => event.type !== 'params-update'),
        take(3),
        toArray(),
      ),
    );
    control.next({ type: 'checkpoint' });
    control.next({ type: 'set-source', source: linearSpec() });
    const [, refused, other] = await events;
    expect(refused).toMatchObject({
      type: 'command-rejected',
      code: 'ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE',
    });
    expect(other).toMatchObject({ type: 'command-rejected', code: 'ADAMFLOW_ERR_COMMAND_INVALID' });
    // Counted by fromIterable, the same rows can be checkpointed.
    const counted = new Subject<SessionCommand>();
    const checkpoint = lastValueFrom(
      trainSession({
        source: fromIterable(rows()),
        model: linearRegression(),
        rate: 1000,
        control: counted,
      }).pipe(
        filter((event) => event.type === 'checkpoint-created'),
        take(1),
      ),
    );
    counted.next({ type: 'checkpoint' });
    expect(await checkpoint).toMatchObject({ checkpoint: { position: { rows: 0 } } });
  });

  it('refuses a resume it cannot honour, and a stream without its model, at the call', () => {
    const checkpoint = {
      format: 'adamflow.session',
      version: 1,
      samples: 10,
      position: { rows: 10 },
      learner: {} as never,
      batchSize: 1,
    } as const;
    const model = linearRegression();
    expect(() => trainSession({ source: rows(), model, from: checkpoint })).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_SOURCE_NOT_RESUMABLE' }) as unknown as Error,
    );
    expect(() => trainSession({ source: fromIterable(rows()), model, from: checkpoint })).toThrow(
      expect.objectContaining({ code: 'ADAMFLOW_ERR_CHECKPOINT_INVALID' }) as unknown as Error,
    );
    expect(() => trainSession({ source: rows() } as never)).toThrow(/needs its model/);
    expect(() => trainSession({ source: rows(), model, maxBuffered: 0 })).toThrow(RangeError);
  });

  it("ends with the stream's own error (a bad CSV row, with its code)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'adamflow-session-')), 'bad.csv');
    writeFileSync(path, 'x,y\n1,2\n2,oops\n');
    await expect(
      lastValueFrom(
        trainSession({ source: fromCsv(path, { target: 'y' }), model: linearRegression() }),
      ),
    ).rejects.toMatchObject({ code: 'ADAMFLOW_ERR_ROW_VALUE', line: 3 });
  });
});
