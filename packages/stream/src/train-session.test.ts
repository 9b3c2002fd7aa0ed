import { filter, lastValueFrom, map, Subject, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { batchCounter } from '../test/batch-counter.js';
import { linearSpec, logisticSpec } from './generators.js';
import {
  type SessionCheckpoint,
  type SessionCommand,
  type SessionEvent,
  trainSession,
} from './train-session.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const kinds = (events: SessionEvent[]) => events.map((e) => e.type);
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
