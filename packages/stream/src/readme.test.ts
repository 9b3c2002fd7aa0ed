// The README's examples are compiled against the built package (as a user's project
// would import it: `@adamflow/stream` resolves to this package's dist through its
// `exports`) and run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
let project: string;

/** The first ```ts block after the heading `## title`. */
function exampleUnder(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${title}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block) throw new Error(`README.md section "## ${title}" has no ts block`);
  return block[1]!;
}

/** Compiles `code` strictly against dist/ and runs it; returns its stdout. */
function compileAndRun(name: string, code: string): string {
  writeFileSync(join(project, `${name}.ts`), code);
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `the README's ${name} example does not compile:\n${(error as { stdout?: string }).stdout}`,
    );
  }
  return execFileSync(process.execPath, [join(project, 'out', `${name}.js`)], {
    encoding: 'utf8',
  });
}

beforeAll(() => {
  // Inside the package and with no package.json of its own, so the package resolves
  // itself by name through `exports` (its package.json also makes the output ESM).
  project = mkdtempSync(join(packageRoot, '.readme-'));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        rootDir: '.',
        outDir: 'out',
        types: [],
        skipLibCheck: true,
      },
      include: ['*.ts'],
    }),
  );
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('README examples, compiled against dist and run', () => {
  it('"Write your own model" fits its quadratic', { timeout: 120_000 }, () => {
    const output = compileAndRun('own-model', exampleUnder('Write your own model'));
    const [params, prediction] = output.trim().split('\n');
    const fitted = params!.split(' ').map(Number);
    expect(fitted).toHaveLength(3);
    const gaps = [1, -2, 0.5].map((target, i) => Math.abs(fitted[i]! - target));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(Number(prediction) - -0.5)).toBeLessThanOrEqual(0.05);
  });

  it('"Different optimizers for different parameters" runs', { timeout: 120_000 }, () => {
    expect(() =>
      compileAndRun('partitioned', exampleUnder('Different optimizers for different parameters')),
    ).not.toThrow();
  });
});

// Inside the package, so that @adamflow/core and rxjs resolve from its node_modules.
const scratch = join(packageRoot, 'node_modules', '.readme-check');

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('README examples that start with an import, compiled against src', () => {
  it('every TypeScript example that starts with an import compiles under the strict settings', () => {
    const blocks = [...readme.matchAll(/```ts(?: no-run)?\n([\s\S]*?)```/g)]
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
          paths: {
            '@adamflow/stream': ['../../src/index.ts'],
            '@adamflow/stream/catalogue': ['../../src/source-catalogue.ts'],
          },
        },
        files,
      }),
    );
    const result = spawnSync(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json')], {
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 120_000);
});
