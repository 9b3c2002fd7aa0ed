import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { Lease } from './lease.js';
import { type NatsContext, openNats } from './nats-context.js';
import { sessionNames } from './session-names.js';
import { referenceRun } from './testing/reference.js';
import { ADAMFLOW, runNode, startTrainer } from './testing/run-command.js';
import { type NatsServerHandle, startNatsServer } from './testing/start-nats-server.js';

let server: NatsServerHandle;
let nats: NatsContext;

beforeAll(async () => {
  server = await startNatsServer();
  nats = await openNats({ url: server.url, name: 'fencing-test' });
});

afterAll(async () => {
  await nats?.close();
  await server?.dispose();
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );

describe('one trainer per session', () => {
  it('a lease is exclusive, and free again at once when released', async () => {
    const options = { kv: nats.kv, key: 'unit.lease', ttlMs: 1000, onHeld: 'exit' as const };
    const first = await Lease.acquire({ ...options, owner: 'first' });
    const refused = await codeOf(Lease.acquire({ ...options, owner: 'second' }));
    await first.release();
    const second = await Lease.acquire({ ...options, owner: 'second' });
    await second.release();
    expect(refused).toBe('ADAMFLOW_ERR_LEASE_HELD');
  });

  it('two trainers: one trains, the other waits and takes over exactly when the first dies', async () => {
    const names = sessionNames('fence');
    const produce = (samples: number) =>
      runNode(ADAMFLOW, [
        ...['produce', '--nats', server.url, '--session', 'fence'],
        ...['--seed', '31', '--samples', String(samples)],
      ]);
    const flags = ['--nats', server.url, '--session', 'fence', '--until', '40000'];
    const timing = ['--lease-ms', '1000', '--checkpoint-ms', '100'];
    expect((await produce(20_000)).code).toBe(0);
    const first = startTrainer([...flags, ...timing]);
    // It learns the 20 000 samples there are and waits for more, holding the lease.
    await first.waitFor((event) => event['event'] === 'checkpoint' && event['samples'] === 20_000);

    const refused = await runNode(ADAMFLOW, ['trainer', ...flags, '--on-held', 'exit']);
    const second = startTrainer([...flags, ...timing]);
    const waiting = await second.waitFor((event) => event['event'] === 'lease-waiting');
    const held = await readCheckpoint(nats, names);
    // Watch the first refresh its lease four times (longer than its TTL) while the
    // second waits: the lease must stay the first's all along.
    const holders = await leaseHolders(names.leaseKey, 4);
    const acquiredWhileHeld = second.events.some((event) => event['event'] === 'lease-acquired');

    first.child.kill('SIGKILL');
    await first.exited;
    expect((await produce(40_000)).code).toBe(0);
    const end = await second.exited;
    const final = await readCheckpoint(nats, names);
    // A trainer fenced off long ago writes with the revision it knew: refused.
    const zombie = await codeOf(writeCheckpoint(nats, names, held!.checkpoint, held!.revision));

    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`(pid ${first.child.pid} on`);
    expect(refused.stderr).toContain('ADAMFLOW_ERR_LEASE_HELD');
    expect((waiting['holder'] as { pid: number }).pid).toBe(first.child.pid);
    expect(held!.checkpoint.owner).toContain(`:${first.child.pid}:`);
    expect(new Set(holders)).toEqual(new Set([first.child.pid]));
    expect(acquiredWhileHeld).toBe(false);
    expect(end.code).toBe(0);
    // The second began only after the first was gone, from the first's last checkpoint.
    const events = second.events.map((event) => event['event']);
    expect(events.slice(0, 2)).toEqual(['lease-waiting', 'lease-acquired']);
    expect(second.events.find((event) => event['event'] === 'resumed')).toMatchObject({
      samples: 20_000,
    });
    expect(final!.checkpoint).toMatchObject({ samples: 40_000, epoch: held!.checkpoint.epoch + 1 });
    expect(final!.checkpoint.owner).toContain(`:${second.child.pid}:`);
    expect(final!.checkpoint.learner).toEqual(referenceRun({ seed: 31, samples: 40_000 }));
    expect(zombie).toBe('ADAMFLOW_ERR_LEASE_LOST');
    expect((await readCheckpoint(nats, names))!.revision).toBe(final!.revision);
  }, 240_000);
});

/** The holder's pid at each of the next `count` revisions of a lease key. */
async function leaseHolders(key: string, count: number): Promise<number[]> {
  const pids: number[] = [];
  const start = (await nats.kv.get(key))!.revision;
  let seen = start;
  const deadline = Date.now() + 30_000;
  while (seen < start + count && Date.now() < deadline) {
    const entry = await nats.kv.get(key);
    if (entry !== null && entry.revision !== seen) {
      seen = entry.revision;
      pids.push(entry.json<{ pid: number }>().pid);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return pids;
}
