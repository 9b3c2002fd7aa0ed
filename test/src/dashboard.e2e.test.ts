// End to end: the dashboard's own start command (dist/main.js, PORT=0), Debian's
// Chromium driven by playwright-core, the page converging, its controls working.
// scripts/prepare-browser.mjs (run by `pnpm test`) installs Chromium when it is missing.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DashboardBrowser,
  saveScreenshot,
  startDashboardBrowser,
} from './testing/dashboard-browser.js';

let dashboard: DashboardBrowser;
let page: Page;

beforeAll(async () => {
  // A run of its own: no checkpoint file read at start or left behind.
  dashboard = await startDashboardBrowser({ ADAMFLOW_RATE: '3000', ADAMFLOW_CHECKPOINT: 'none' });
  page = await dashboard.openPage({ width: 1440, height: 1000 });
});

afterAll(async () => {
  await dashboard?.close();
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
    await page.goto(dashboard.url);
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
    await page.waitForTimeout(1500);
    await saveScreenshot(page, 'dashboard.png');
    expect(dashboard.consoleErrors).toEqual([]);
  });

  it('the server shuts down cleanly on SIGTERM', async () => {
    expect(await dashboard.stopServer()).toBe(0);
  });
});
