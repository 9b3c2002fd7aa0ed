import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
// Inside the package, so that @adamflow/core and rxjs resolve from its node_modules.
const scratch = join(root, 'node_modules', '.readme-check');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README', () => {
  it('every TypeScript example that starts with an import compiles under the strict settings', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .filter((code) => code.startsWith('import'));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    mkdirSync(scratch, { recursive: true });
    const files = blocks.map((code, i) => {
      const file = `example-${i}.ts`;
      // Each example is a module of its own (top-level await needs one).
      writeFileSync(join(scratch, file), `${code}\nexport {};\n`);
      return file;
    });
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../../tsconfig.base.json',
        compilerOptions: {
          noEmit: true,
          types: ['node'],
          paths: { '@adamflow/stream': ['../../src/index.ts'] },
        },
        files,
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json')], {
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 120_000);
});
