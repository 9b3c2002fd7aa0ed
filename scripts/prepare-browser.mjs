#!/usr/bin/env node
// Makes sure the browser tests have Debian's Chromium. Installs it with apt-get when it
// is missing and we are root; otherwise fails with a message that says what to do.
// Never lets a tool download its own browser (that fails on this network).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env['ADAMFLOW_CHROMIUM'] ?? '/usr/bin/chromium';

if (existsSync(CHROMIUM)) {
  console.log(`browser tests: using ${CHROMIUM}`);
  process.exit(0);
}
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
if (!root || !apt) {
  console.error(
    `browser tests need Chromium at ${CHROMIUM}, and it is missing.\n` +
      (apt
        ? 'Install it as root: apt-get update && apt-get install -y chromium\n'
        : 'Install Chromium with your package manager, or set ADAMFLOW_CHROMIUM to its path.\n'),
  );
  process.exit(1);
}
console.log('browser tests: installing Debian chromium (apt-get, about 30 s)…');
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
} catch {
  console.error(
    'apt-get could not install chromium; install it by hand: apt-get install -y chromium',
  );
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(
    `chromium was installed but ${CHROMIUM} is still missing; set ADAMFLOW_CHROMIUM to its path`,
  );
  process.exit(1);
}
console.log(`browser tests: using ${CHROMIUM}`);
