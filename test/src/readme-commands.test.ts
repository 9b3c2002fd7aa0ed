// The README's test command is what CI proves: .ci/run must run it word for word.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('README commands', () => {
  const readme = read('README.md');
  const blocks = [...readme.matchAll(/```sh\n([^\n]+)\n```/g)].map((m) => m[1]!);

  it('gives exactly two shell commands: start and test', () => {
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(/ start$/);
    expect(blocks[1]).toMatch(/ test$/);
  });

  it('.ci/run runs the README test command word for word', () => {
    const lines = read('.ci/run')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'));
    expect(lines).toContain(blocks[1]);
  });

  it('both commands pin the same pnpm as package.json', () => {
    const { packageManager } = JSON.parse(read('package.json')) as { packageManager: string };
    for (const command of blocks) expect(command).toContain(`npx -y ${packageManager} install`);
  });
});
