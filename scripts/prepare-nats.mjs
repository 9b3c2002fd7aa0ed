#!/usr/bin/env node
// Makes sure the distributed tests have Debian's nats-server (they start their own
// broker). Installs it with apt-get when it is missing and we are root; otherwise fails
// with a message that says what to do. Never skips: without a broker those tests fail.
import { execFileSync, spawnSync } from 'node:child_process';

const NATS = process.env['ADAMFLOW_NATS_SERVER'] ?? 'nats-server';

function version() {
  const run = spawnSync(NATS, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

let found = version();
if (found) {
  console.log(`distributed tests: using ${found}`);
  process.exit(0);
}
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
if (!root || !apt) {
  console.error(
    `distributed tests need nats-server (${NATS}), and it is missing.\n` +
      (apt
        ? 'Install it as root: apt-get update && apt-get install -y nats-server\n'
        : 'Install nats-server (2.9 or later) with your package manager, or set ADAMFLOW_NATS_SERVER to its path.\n'),
  );
  process.exit(1);
}
console.log('distributed tests: installing Debian nats-server (apt-get)…');
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  // Wait for a concurrent apt-get (another install in progress) instead of failing.
  execFileSync(
    'apt-get',
    ['install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=300', 'nats-server'],
    {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
} catch {
  console.error(
    'apt-get could not install nats-server; install it by hand: apt-get install -y nats-server',
  );
  process.exit(1);
}
found = version();
if (!found) {
  console.error(
    `nats-server was installed but ${NATS} does not run; set ADAMFLOW_NATS_SERVER to its path`,
  );
  process.exit(1);
}
console.log(`distributed tests: using ${found}`);
