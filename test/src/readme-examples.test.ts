// Every TypeScript example in every README compiles as pasted, and runs.
//
// Each ```ts (or ```typescript) block is written out as its own module and all of them
// are type-checked in one tsc run, with the repository's strict settings
// (tsconfig.base.json), against the built packages (`@adamflow/*` resolve to their
// dist/, as for a user who installed them). Then each one is run with node. The info
// string after the fence can say otherwise:
//
//   ```ts no-run     compiled, not run: it needs something the test does not start
//                    (a dashboard server to connect to, a browser)
//   ```ts fragment   neither: a signature listing, not a program
//
// A failure names the README and the line, e.g. `packages/core/README.md:16:20`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks, type ReadmeBlock, readmeBlocks } from './readme-blocks.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const FLAGS = new Set(['no-run', 'fragment']);

const typescript = readmeBlocks(root).filter(
  (b) => b.language === 'ts' || b.language === 'typescript',
);
const programs = typescript.filter((b) => !b.flags.includes('fragment'));
const where = (b: ReadmeBlock) => `${b.readme}:${b.line}`;
const fileOf = (b: ReadmeBlock) => `${b.readme.replace(/[^A-Za-z0-9]+/g, '-')}-L${b.line}.ts`;

let dir: string;
/** tsc's errors per module, already pointed at README lines. */
const errors = new Map<string, string[]>();

beforeAll(() => {
  // Under test/, nothing: a temporary project whose node_modules is test/'s, so the
  // examples see exactly this package's dependencies (our packages, rxjs, ws).
  dir = mkdtempSync(join(tmpdir(), 'adamflow-readme-'));
  symlinkSync(join(here, '..', 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        rootDir: '.',
        outDir: 'out',
        types: ['node'],
        // Each block is a module of its own, with or without imports.
        moduleDetection: 'force',
        declaration: false,
        declarationMap: false,
        sourceMap: false,
      },
      include: ['*.ts'],
    }),
  );
  for (const block of programs) writeFileSync(join(dir, fileOf(block)), block.code);
  const result = spawnSync(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], {
    cwd: dir, // so tsc names the modules by their bare file names
    encoding: 'utf8',
  });
  const byFile = new Map(programs.map((b) => [fileOf(b), b]));
  let last: string[] | undefined;
  for (const line of result.stdout.split('\n')) {
    const match = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
    const block = match && byFile.get(match[1]!);
    if (match && block) {
      const readmeLine = block.line + Number(match[2]);
      last = errors.get(fileOf(block)) ?? [];
      errors.set(fileOf(block), last);
      last.push(`${block.readme}:${readmeLine}:${match[3]} ${match[4]}`);
    } else if (line.startsWith(' ') && last) {
      last.push(line); // the rest of a multi-line message
    } else if (line.trim()) {
      // An error outside the blocks (a broken package build, a bad tsconfig).
      errors.set('', [...(errors.get('') ?? []), line]);
    }
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a compiled block; resolves with its exit code and the tail of its output. */
function run(block: ReadmeBlock): Promise<{ code: number | null; output: string }> {
  const script = join(dir, 'out', fileOf(block).replace(/\.ts$/, '.js'));
  return new Promise((resolve, reject) => {
    // The bound only ends a hung example (the test fails then); it is no speed check.
    const child = spawn(process.execPath, [script], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('README examples', () => {
  it('finds the TypeScript examples, and every info string uses known words only', () => {
    expect(programs.length).toBeGreaterThanOrEqual(3);
    const unknown = typescript
      .filter((b) => b.flags.some((flag) => !FLAGS.has(flag)))
      .map((b) => `${where(b)}: \`\`\`${b.info}`);
    expect(unknown.join('\n'), `known words after the language: ${[...FLAGS].join(', ')}`).toBe('');
  });

  it('tsc ran on the blocks (no error outside them)', () => {
    expect((errors.get('') ?? []).join('\n')).toBe('');
  });

  for (const block of programs) {
    const runs = !block.flags.includes('no-run');
    it(`${where(block)} compiles${runs ? ' and runs' : ' (no-run)'}`, async () => {
      const found = errors.get(fileOf(block)) ?? [];
      if (found.length > 0) {
        expect.fail(
          `the \`\`\`${block.info} block at ${where(block)} does not compile:\n${found.join('\n')}`,
        );
      }
      if (!runs) return;
      const { code, output } = await run(block);
      if (code !== 0) {
        expect.fail(
          `the \`\`\`${block.info} block at ${where(block)} exited with ${code}:\n${output}`,
        );
      }
    });
  }
});

describe('codeBlocks', () => {
  it('reads language, flags, code and the line of the opening fence', () => {
    const text = '# Title\n\n```ts no-run\nconst a = 1;\nconst b = a;\n```\n\n```sh\nls\n```\n';
    expect(codeBlocks('X.md', text)).toEqual([
      {
        readme: 'X.md',
        line: 3,
        info: 'ts no-run',
        language: 'ts',
        flags: ['no-run'],
        code: 'const a = 1;\nconst b = a;\n',
      },
      { readme: 'X.md', line: 8, info: 'sh', language: 'sh', flags: [], code: 'ls\n' },
    ]);
  });
});
