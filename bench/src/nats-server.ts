// The benches' own nats-server (JetStream), as the distributed tests start theirs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A nats-server with JetStream on a free port of 127.0.0.1, in a temporary directory. */
export async function startNats(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'adamflow-bench-nats-'));
  const child = spawn(
    'nats-server',
    ['-js', '-p', '-1', '--ports_file_dir', dir, '-sd', join(dir, 'store'), '-a', '127.0.0.1'],
    { stdio: 'ignore' },
  );
  const file = `nats-server_${child.pid}.ports`;
  const deadline = Date.now() + 20_000;
  let url = '';
  while (url === '' && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('nats-server exited; is it installed?');
    if (readdirSync(dir).includes(file)) {
      try {
        url = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats: string[] }).nats[0]!;
      } catch {
        // Written but not complete yet: read again.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (url === '') throw new Error('nats-server did not start in 20 s');
  // The ports file may name another interface; the server listens on 127.0.0.1 only.
  url = `nats://127.0.0.1:${new URL(url).port}`;
  return {
    url,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
