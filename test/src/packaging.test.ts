// Our packages must install and type-check in a project outside this workspace.
// Pack them as a publisher would (pnpm pack rewrites workspace: ranges), install the
// tarballs with plain npm into a throwaway directory, type-check a strict program
// against them and run it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let project: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** pnpm, whichever way this run was started (global binary or `npx pnpm`). */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env['npm_execpath'];
  if (execPath?.includes('pnpm')) return run(process.execPath, [execPath, ...args], cwd);
  return run('pnpm', args, cwd);
}

function pack(pkg: string, into: string): string {
  pnpm(['pack', '--pack-destination', into], join(root, pkg));
  const name = readdirSync(into).find((f) => f.startsWith(`adamflow-${pkg.split('/')[1]}-`));
  if (!name) throw new Error(`pnpm pack produced no tarball for ${pkg}`);
  return join(into, name);
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'adamflow-consumer-'));
  const tarballs = join(project, 'tarballs');
  mkdirSync(tarballs);
  const core = pack('packages/core', tarballs);
  const stream = pack('packages/stream', tarballs);
  const protocol = pack('packages/protocol', tarballs);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      core,
      stream,
      protocol,
      'rxjs@7.8.2',
    ],
    project,
  );
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('@adamflow/core from its tarball, outside the workspace', () => {
  it('ships only dist, sources and README, with no runtime dependencies', () => {
    const manifest = JSON.parse(
      run('node', ['-p', 'JSON.stringify(require("@adamflow/core/package.json"))'], project),
    ) as { dependencies?: object; exports: Record<string, unknown> };
    expect(manifest.dependencies ?? {}).toEqual({});
    const files = readdirSync(join(project, 'node_modules/@adamflow/core/dist'));
    expect(files).toContain('index.d.ts');
    expect(files.some((f) => f.includes('.test.'))).toBe(false);
  });

  it('type-checks a strict program and runs it', () => {
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
          outDir: 'out',
          types: [],
        },
        include: ['main.ts'],
      }),
    );
    writeFileSync(
      join(project, 'main.ts'),
      `import { Adam, AdamW, AdamflowError, createOptimizer, cosineSchedule, warmupSchedule, type OptimizerState } from '@adamflow/core';
const params = new Float64Array([-0.354, -1.375]);
const opt = new Adam(params, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
for (let i = 0; i < 2000; i++) opt.step([2 * (params[0]! - 4), 2 * (params[1]! - 3)]);
const snapshot: OptimizerState = JSON.parse(JSON.stringify(opt.state()));
const w = new AdamW(new Float64Array(2), { lr: warmupSchedule({ steps: 5, after: cosineSchedule({ lr: 0.1, steps: 50 }) }) });
w.step([1, 1]);
const sgd = createOptimizer('sgd', new Float32Array(2), { lr: 0.1, momentum: 0.9 });
sgd.step([1, 1]);
let code = '';
try { opt.step([Number.NaN, 0]); } catch (e) { if (e instanceof AdamflowError) code = e.code; }
console.log(JSON.stringify({ params: Array.from(params), version: snapshot.version, code, step: opt.stepCount }));
`,
    );
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    const output = JSON.parse(run(process.execPath, ['out/main.js'], project)) as {
      params: number[];
      code: string;
      step: number;
    };
    expect(output.params[0]).toBeCloseTo(4, 6);
    expect(output.params[1]).toBeCloseTo(3, 6);
    expect(output.code).toBe('ADAMFLOW_ERR_NON_FINITE_GRADIENT');
    expect(output.step).toBe(2000);
  });

  it('@adamflow/stream type-checks and trains from its tarball (workspace ranges rewritten)', () => {
    const manifest = JSON.parse(
      run('node', ['-p', 'JSON.stringify(require("@adamflow/stream/package.json"))'], project),
    ) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['@adamflow/core']).toMatch(/^\^\d/);
    writeFileSync(
      join(project, 'main.ts'),
      `import { take, lastValueFrom } from 'rxjs';
import { Adam } from '@adamflow/core';
import { linearSource, linearRegression, trainOnline, type ParamsUpdate } from '@adamflow/stream';
const last: ParamsUpdate = await lastValueFrom(
  linearSource({ seed: 42 }).pipe(take(50_000), trainOnline({ model: linearRegression(), optimizer: (p) => new Adam(p, { lr: 0.01 }) })),
);
console.log(JSON.stringify(Array.from(last.params)));
`,
    );
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    const params = JSON.parse(run(process.execPath, ['out/main.js'], project)) as number[];
    expect(Math.abs(params[0]! - 4)).toBeLessThan(0.2);
    expect(Math.abs(params[1]! - 3)).toBeLessThan(0.2);
  });

  it('the source catalogue loads from @adamflow/stream/catalogue with no dependency; the protocol lists its names', () => {
    // The catalogue's import graph, as installed: relative imports only (no RxJS, no core),
    // which is what lets the protocol depend on it and stay light.
    const dist = join(project, 'node_modules/@adamflow/stream/dist');
    const seen = new Set<string>();
    const bare: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(join(dist, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const [, target] of code.matchAll(
        /^(?:import|export)\b(?:[^;'"]*?\bfrom)?\s*'([^']+)'/gm,
      )) {
        if (target!.startsWith('./')) visit(target!.slice(2));
        else bare.push(`${file} imports ${target}`);
      }
    };
    visit('source-catalogue.js');
    expect([bare, seen.size > 1]).toEqual([[], true]);
    const manifest = JSON.parse(
      run('node', ['-p', 'JSON.stringify(require("@adamflow/protocol/package.json"))'], project),
    ) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['@adamflow/stream']).toMatch(/^\^\d/);
    writeFileSync(
      join(project, 'main.ts'),
      `import { findSource, sourceCatalogue, type SourceName } from '@adamflow/stream/catalogue';
import { SOURCES } from '@adamflow/protocol';
const names: SourceName[] = sourceCatalogue.map((source) => source.name);
console.log(JSON.stringify({ names, protocol: [...SOURCES], linear: findSource('linear')?.spec(1).kind }));
`,
    );
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    const output = JSON.parse(run(process.execPath, ['out/main.js'], project)) as {
      names: string[];
      protocol: string[];
      linear: string;
    };
    expect(output.protocol).toEqual(output.names);
    expect(output).toMatchObject({
      names: ['seed', 'multilinear', 'drift', 'logistic'],
      linear: 'linear',
    });
  });

  it('a type error in the consumer is caught (the check is real)', () => {
    writeFileSync(
      join(project, 'main.ts'),
      `import { Adam } from '@adamflow/core';\nnew Adam(new Float64Array(2), { lr: 'fast' });\n`,
    );
    let stdout = '';
    try {
      run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    } catch (error) {
      stdout = String((error as { stdout?: string }).stdout);
    }
    expect(stdout).toMatch(/error TS2322/);
  });
});
