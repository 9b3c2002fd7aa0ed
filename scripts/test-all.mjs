#!/usr/bin/env node
// The whole test run behind `pnpm test`: lint, build, typecheck and every package's
// tests, then one summary line `N passed, N failed` summed over all of them.
// Lint and each package's typecheck count as one test each; vitest suites report
// their own counts through test-results/vitest.json (turbo restores those on a
// cache hit, so a cached run still reports what it proved).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = ['packages', 'apps']
  .flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group)).map((name) => join(root, group, name))
      : [],
  )
  .concat([join(root, 'test'), join(root, 'bench')])
  .filter((dir) => existsSync(join(dir, 'package.json')));

function step(title, command, args) {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  return result.status === 0;
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
let passed = 0;
let failed = 0;
const failures = [];

const prepare = join(root, 'scripts', 'prepare-browser.mjs');
if (existsSync(prepare) && !step('browser', process.execPath, [prepare])) {
  failed++;
  failures.push('browser setup (see the message above)');
}

const prepareNats = join(root, 'scripts', 'prepare-nats.mjs');
if (existsSync(prepareNats) && !step('nats-server', process.execPath, [prepareNats])) {
  failed++;
  failures.push('nats-server setup (see the message above)');
}

if (step('lint and format', bin('biome'), ['ci', '.'])) passed++;
else {
  failed++;
  failures.push('lint');
}

for (const dir of workspaces) rmSync(join(dir, 'test-results'), { recursive: true, force: true });

const turboOk = step('build, typecheck, test', bin('turbo'), [
  'run',
  'build',
  'typecheck',
  'test',
  '--continue',
  '--output-logs=new-only',
]);

for (const dir of workspaces) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const name = pkg.name ?? relative(root, dir);
  if (pkg.scripts?.typecheck) {
    // turbo --continue ran it; a failure shows in turbo's summary, so re-run cheaply
    // only to attribute it (tsc --noEmit on an unchanged package is quick).
    const ok =
      turboOk ||
      spawnSync(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'],
        {
          cwd: dir,
          stdio: 'ignore',
        },
      ).status === 0;
    if (ok) passed++;
    else {
      failed++;
      failures.push(`${name} typecheck`);
    }
  }
  if (!pkg.scripts?.test) continue;
  const report = join(dir, 'test-results', 'vitest.json');
  if (!existsSync(report)) {
    failed++;
    failures.push(`${name} tests did not run (no test-results/vitest.json)`);
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests + (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  if (json.numFailedTests > 0) failures.push(`${name}: ${json.numFailedTests} failed`);
  if (json.numPendingTests > 0)
    failures.push(`${name}: ${json.numPendingTests} skipped (not allowed)`);
  if (json.numTotalTestSuites > 0 && json.success === false && json.numFailedTests === 0) {
    failed++;
    failures.push(`${name}: a test file failed to load`);
  }
}

if (!turboOk && failures.length === 0) {
  failed++;
  failures.push('turbo reported a failing task (see above)');
}
if (passed === 0) {
  failed++;
  failures.push('no test ran');
}
if (failures.length > 0) console.log(`\nFailures:\n  ${failures.join('\n  ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
