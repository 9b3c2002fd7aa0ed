// End to end: the dashboard's own start command (dist/main.js, PORT=0), Debian's
// Chromium driven by playwright-core, the page converging, its controls working.
// scripts/prepare-browser.mjs (run by `pnpm test`) installs Chromium when it is missing.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, '..', 'test-results');
const main = createRequire(import.meta.url).resolve('@adamflow/dashboard/main');
let server: ChildProcess;
let url: string;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  server = spawn(process.execPath, [main], {
    // A run of its own: no checkpoint file read at start or left behind.
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      ADAMFLOW_RATE: '3000',
      ADAMFLOW_CHECKPOINT: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /adamflow dashboard: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`dashboard exited with ${code}: ${output}`)));
    setTimeout(() => reject(new Error(`dashboard did not print its URL: ${output}`)), 60_000);
  });
  browser = await chromium.launch({
    executablePath: process.env['ADAMFLOW_CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  // Every wait below is for an event on the page; these bounds only catch a hang. On a
  // busy machine the browser, the server and its trainer share two cores.
  page.setDefaultTimeout(60_000);
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

/** Waits until the page's fitted line is within 0.3 of y = 4 + 3x. */
const converged = () =>
  page.waitForFunction(
    () => {
      const el = document.getElementById('scatter')!;
      return (
        Math.abs(Number(el.dataset['intercept']) - 4) < 0.3 &&
        Math.abs(Number(el.dataset['slope']) - 3) < 0.3
      );
    },
    undefined,
    { timeout: 60_000 },
  );

const fitted = () =>
  page.$eval('#scatter', (el) => ({
    intercept: Number((el as HTMLElement).dataset['intercept']),
    slope: Number((el as HTMLElement).dataset['slope']),
    step: Number((el as HTMLElement).dataset['step']),
  }));

describe('the dashboard in a real browser', () => {
  it('loads, goes live, and the fitted line converges towards y = 4 + 3x', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-status="live"]');
    await converged();
    const line = await fitted();
    expect(Math.abs(line.intercept - 4)).toBeLessThan(0.3);
    expect(Math.abs(line.slope - 3)).toBeLessThan(0.3);
    // the charts drew something
    expect(await page.locator('#scatter canvas').count()).toBe(1);
    expect(await page.locator('#loss canvas').count()).toBe(1);
    expect(await page.locator('#params canvas').count()).toBe(1);
  });

  it('pause stops training and resume restarts it', async () => {
    await page.click('#pause');
    await page.waitForSelector('body[data-status="paused"]');
    expect(await page.textContent('#pause')).toBe('Resume');
    const a = (await fitted()).step;
    await page.waitForTimeout(500);
    const b = (await fitted()).step;
    expect(b).toBe(a);
    await page.click('#pause');
    await page.waitForSelector('body[data-status="live"]');
    await page.waitForFunction(
      (before) => Number(document.getElementById('scatter')!.dataset['step']) > before,
      b,
    );
  });

  it('reset starts from scratch', async () => {
    const before = (await fitted()).step;
    await page.click('#reset');
    await page.waitForFunction(
      (limit) => Number(document.getElementById('scatter')!.dataset['step']) < limit,
      before,
    );
    expect(await page.textContent('#toast')).toContain('reset');
  });

  it('changing the learning rate reaches the trainer', async () => {
    await page.$eval('#lr', (el) => {
      const input = el as HTMLInputElement;
      input.value = '-3';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForFunction(
      () =>
        (window as unknown as { adamflow: { state: { config?: { lr: number } } } }).adamflow.state
          .config?.lr === 0.001,
    );
    await page.waitForFunction(() =>
      document.getElementById('stat-optimizer')!.textContent!.includes('1.0e-3'),
    );
    // back to the default so the screenshot shows a converged line
    await page.$eval('#lr', (el) => {
      const input = el as HTMLInputElement;
      input.value = '-2';
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await converged();
  });

  it("the page's own controls cannot break the run: SGD at lr 1 shows diverged, lr 0.01 brings it back", async () => {
    const setLr = (log10: string) =>
      page.$eval(
        '#lr',
        (el, value) => {
          const input = el as HTMLInputElement;
          input.value = value;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        },
        log10,
      );
    await page.selectOption('#optimizer', 'sgd');
    await setLr('0');
    await page.waitForSelector('body[data-status="diverged"]');
    expect(await page.isVisible('#diverged')).toBe(true);
    expect(await page.textContent('#diverged')).toMatch(
      /diverged at step [\d,]+ \(sgd, lr 1\.000\)/,
    );
    expect(await page.isDisabled('#pause')).toBe(true);
    await setLr('-2');
    await page.waitForSelector('body[data-status="live"]');
    expect(await page.isVisible('#diverged')).toBe(false);
    await page.selectOption('#optimizer', 'adam');
    await converged();
  });

  it('saves a screenshot as a test artifact, with no errors in the console', async () => {
    mkdirSync(artifacts, { recursive: true });
    const path = join(artifacts, 'dashboard.png');
    await page.waitForTimeout(1500);
    await page.screenshot({ path, fullPage: true });
    console.log(`[e2e] screenshot: ${path}`);
    expect(consoleErrors).toEqual([]);
  });

  it('the server shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
