// The fenced code blocks of the repository's READMEs, with where each one starts, so
// readme-examples.test.ts can compile and run them and name the line that fails.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One fenced code block of a README. */
export interface ReadmeBlock {
  /** The README's path from the repository root, e.g. `packages/core/README.md`. */
  readme: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string after the fence, e.g. `ts no-run`. */
  info: string;
  /** The first word of the info string, lower-cased: `ts`, `sh`, ... */
  language: string;
  /** The other words of the info string: `no-run`, `fragment`. */
  flags: string[];
  /** The block's text, without the fences. */
  code: string;
}

/**
 * Reads every fenced block (```` ``` ```` fences) of one Markdown text.
 *
 * @param readme - the file's path, carried into each block for messages.
 * @param text - the Markdown.
 * @returns the blocks in order.
 * @example
 * ```ts
 * codeBlocks('README.md', '# x\n\n```ts no-run\nconst a = 1;\n```\n');
 * // [{ readme: 'README.md', line: 3, info: 'ts no-run', language: 'ts', flags: ['no-run'], code: 'const a = 1;\n' }]
 * ```
 */
export function codeBlocks(readme: string, text: string): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const info = open[2]!.trim();
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    const [language = '', ...flags] = info.split(/\s+/).filter(Boolean);
    blocks.push({
      readme,
      line: start + 1,
      info,
      language: language.toLowerCase(),
      flags,
      code: body.map((line) => `${line}\n`).join(''),
    });
  }
  return blocks;
}

/**
 * The READMEs of the repository: the root's, and those of `packages/*`, `apps/*`,
 * `test` and `bench`.
 *
 * @param root - the repository root.
 * @returns paths relative to `root`, sorted.
 * @example
 * ```ts
 * readmePaths('.'); // ['README.md', 'apps/cli/README.md', ...]
 * ```
 */
export function readmePaths(root: string): string[] {
  const dirs = ['.', 'test', 'bench'];
  for (const group of ['packages', 'apps']) {
    if (!existsSync(join(root, group))) continue;
    for (const name of readdirSync(join(root, group))) dirs.push(`${group}/${name}`);
  }
  return dirs
    .map((dir) => (dir === '.' ? 'README.md' : `${dir}/README.md`))
    .filter((path) => existsSync(join(root, path)))
    .sort();
}

/**
 * Every fenced block of every README of the repository.
 *
 * @param root - the repository root.
 * @returns the blocks, README by README.
 * @example
 * ```ts
 * readmeBlocks('.').filter((b) => b.language === 'ts');
 * ```
 */
export function readmeBlocks(root: string): ReadmeBlock[] {
  return readmePaths(root).flatMap((path) =>
    codeBlocks(path, readFileSync(join(root, path), 'utf8')),
  );
}
