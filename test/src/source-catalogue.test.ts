// One catalogue of sources: @adamflow/stream's `sourceCatalogue`. The protocol, the
// dashboard (page, trainer, checkpoint file), `pnpm train` and the distributed
// trainer all list the same names, with the same descriptions; this test is what
// keeps them so.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SOURCES } from '@adamflow/protocol';
import { sourceAliases, sourceCatalogue, sourceNames } from '@adamflow/stream';
import { describe, expect, it, vi } from 'vitest';

// Each case spawns node; a busy machine can take seconds per spawn.
vi.setConfig({ testTimeout: 120_000 });

const at = (path: string) => new URL(`../../${path}`, import.meta.url);
const read = (path: string) => readFileSync(at(path), 'utf8');
const node = (path: string, ...args: string[]) =>
  spawnSync(process.execPath, [at(path).pathname, ...args], { encoding: 'utf8' });
/** Help text with every run of whitespace made one space (the CLI wraps long lines). */
const flat = (text: string) => text.replace(/\s+/g, ' ');
const TRAIN = 'apps/cli/dist/main.js';
const ADAMFLOW = 'apps/distributed/dist/main.js';
/** What a help text must say about each source and alias. */
const helpLines = [
  ...sourceCatalogue.map((source) => `${source.name} ${source.description}`),
  ...Object.entries(sourceAliases).map(([alias, name]) => `${alias} another name for ${name}`),
];
const accepted = [...sourceNames, ...Object.keys(sourceAliases)].join(', ');

describe('the source catalogue', () => {
  it("the protocol's SOURCES are the catalogue's names, in its order", () => {
    expect([...SOURCES]).toEqual(sourceCatalogue.map((source) => source.name));
  });

  it("the dashboard page's source menu offers exactly those names", () => {
    const page = read('apps/dashboard/web/index.html');
    const select = /<select id="source">([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '';
    const values = [...select.matchAll(/<option value="([^"]+)"/g)].map((match) => match[1]);
    expect(values.sort()).toEqual([...sourceNames].sort());
  });

  it('no other file writes the list out by hand (they take it from the catalogue)', () => {
    const files = [
      'apps/cli/src/options.ts',
      'apps/dashboard/src/trainer-worker.ts',
      'apps/dashboard/src/checkpoint-file.ts',
      'apps/distributed/src/options.ts',
      'packages/protocol/src/messages.ts',
    ];
    // Two names quoted in code (not in a comment) are a list, or a switch, kept by hand
    // (one alone may be a default, or the --seed flag).
    const quoted = files.flatMap((file) => {
      const code = read(file).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const names = sourceNames.filter((name) => new RegExp(`['"\`]${name}['"\`]`).test(code));
      return names.length > 1 ? [`${file}: ${names.join(', ')}`] : [];
    });
    expect(quoted).toEqual([]);
  });

  it('pnpm train --help describes each source as the catalogue does, and --source accepts exactly those', () => {
    const help = flat(node(TRAIN, '--help').stdout);
    expect(helpLines.filter((line) => !help.includes(line))).toEqual([]);
    expect(node(TRAIN, '--source', 'sine').stderr).toContain(
      `--source must be one of ${accepted}, got "sine"`,
    );
  });

  it.each(sourceCatalogue.map((source) => [source.name, source.features]))(
    'pnpm train --source %s trains on %i features and names the source as the catalogue does',
    (name, features) => {
      const out = JSON.parse(
        node(TRAIN, '--source', name, '--samples', '500', '--json').stdout,
      ) as {
        source: string;
        params: number[];
      };
      expect([out.source, out.params.length]).toEqual([name, features + 1]);
    },
  );

  it('the distributed command describes and accepts the same sources', () => {
    const help = flat(node(ADAMFLOW, '--help').stdout);
    expect(helpLines.filter((line) => !help.includes(line))).toEqual([]);
    const refused = node(
      ADAMFLOW,
      'produce',
      '--nats',
      'nats://127.0.0.1:1',
      '--session',
      'a',
      '--source',
      'csv',
    );
    expect(refused.stderr).toContain(`--source must be one of ${accepted}, got "csv"`);
  });
});
