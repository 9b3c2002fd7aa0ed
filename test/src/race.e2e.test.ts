// The optimizer race on the page, in Debian's Chromium: contestants entered, retuned
// and removed from the page by keyboard and by their accessible names, their lines on
// the scatter and their rows on the leaderboard coming and going, and the one-click
// race of the classics in which Adam pulls ahead.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_WAIT_MS,
  type DashboardBrowser,
  saveScreenshot,
  startDashboardBrowser,
} from './testing/dashboard-browser.js';

let dashboard: DashboardBrowser;
let page: Page;

beforeAll(async () => {
  // A run of its own: no checkpoint file read at start or left behind.
  dashboard = await startDashboardBrowser({ ADAMFLOW_RATE: '2000', ADAMFLOW_CHECKPOINT: 'none' });
  page = await dashboard.openPage({ width: 1440, height: 1100 });
  await page.goto(dashboard.url);
  await page.waitForSelector('body[data-status="live"]');
});

afterAll(async () => {
  await dashboard?.close();
});

/** The leaderboard as shown: [contestant id, name] in rank order. */
const rows = () =>
  page.$$eval('#leaderboard tr', (trs) =>
    trs.map((tr) => [
      (tr as HTMLElement).dataset['contestant'],
      tr.querySelector('.name')?.textContent ?? '',
    ]),
  );

/** The contestants whose fitted lines the scatter draws. */
const drawnLines = () =>
  page.$eval('#scatter', (el) => ((el as HTMLElement).dataset['contestants'] ?? '').split(','));

/** Waits until the scatter draws exactly `ids` besides the primary line. */
const linesAre = (ids: string[]) =>
  page.waitForFunction(
    (expected) => document.getElementById('scatter')!.dataset['contestants'] === expected,
    ids.join(','),
  );

describe('the race on the page', () => {
  it('adds contestants from the page: their rows and lines appear', async () => {
    expect(await rows()).toEqual([['primary', 'Adam']]);
    const optimizer = page.getByRole('combobox', { name: 'optimizer of the new contestant' });
    const lr = page.getByRole('spinbutton', { name: 'learning rate of the new contestant' });
    await optimizer.selectOption('sgd');
    await lr.fill('0.01');
    // Enter in the learning-rate field submits the form: no mouse needed.
    await lr.press('Enter');
    await page.waitForSelector('#leaderboard tr[data-contestant="c1"]');
    await linesAre(['c1']);

    await optimizer.focus();
    await page.keyboard.press('End');
    await lr.fill('0.5');
    await page.getByRole('button', { name: 'Add contestant' }).press('Enter');
    await page.waitForSelector('#leaderboard tr[data-contestant="c2"]');
    await linesAre(['c1', 'c2']);
    const shown = await rows();
    expect(shown.map(([id]) => id).sort()).toEqual(['c1', 'c2', 'primary']);
    expect(shown.map(([, name]) => name).sort()).toEqual(['Adadelta', 'Adam', 'SGD']);
    // They learn: each row's step count moves.
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('#leaderboard tr')).every(
        (tr) => Number(tr.querySelector('.steps')!.textContent!.replace(/,/g, '')) > 100,
      ),
    );
  });

  it('retunes a contestant from its row', async () => {
    const field = page.getByRole('spinbutton', { name: 'learning rate for SGD' });
    await field.fill('0.002');
    await field.press('Enter');
    await page.waitForFunction(
      () =>
        (
          window as unknown as {
            adamflow: {
              state: { config: { contestants: { id: string; options: { lr: number } }[] } };
            };
          }
        ).adamflow.state.config.contestants.find((c) => c.id === 'c1')?.options.lr === 0.002,
    );
    await page.waitForFunction(() =>
      document
        .querySelector('#leaderboard tr[data-contestant="c1"] .how')!
        .textContent!.includes('lr 0.002'),
    );
  });

  it('removes a contestant: its row and its line go', async () => {
    await page.getByRole('button', { name: 'Remove SGD' }).press('Enter');
    await page.waitForSelector('#leaderboard tr[data-contestant="c1"]', { state: 'detached' });
    await linesAre(['c2']);
    expect((await rows()).map(([id]) => id).sort()).toEqual(['c2', 'primary']);
  });

  it('races the classics in one click: Adam against SGD, SGD + momentum, RMSProp and AdaGrad, and Adam pulls ahead', async () => {
    await page.getByRole('button', { name: 'Race the classics' }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('#leaderboard tr').length === 5,
      undefined,
    );
    expect((await rows()).map(([, name]) => name).sort()).toEqual([
      'AdaGrad',
      'Adam',
      'RMSProp',
      'SGD',
      'SGD + momentum',
    ]);
    expect((await drawnLines()).length).toBe(4);
    // Once they have seen a thousand samples (half a second here, a second at the default
    // rate), Adam ranks above the momentum-only and the AdaGrad contestants.
    const ranks = await page.waitForFunction(() => {
      const board = Array.from(document.querySelectorAll<HTMLElement>('#leaderboard tr'));
      const steps = (tr: HTMLElement) =>
        Number(tr.querySelector('.steps')!.textContent!.replace(/,/g, ''));
      if (board.length !== 5 || !board.every((tr) => steps(tr) >= 1000)) return false;
      return Object.fromEntries(
        board.map((tr) => [tr.querySelector('.name')!.textContent, Number(tr.dataset['rank'])]),
      );
    });
    const rank = (await ranks.jsonValue()) as Record<string, number>;
    expect(rank['Adam']).toBeLessThan(rank['SGD + momentum']!);
    expect(rank['Adam']).toBeLessThan(rank['AdaGrad']!);
  });

  it('at 390 px the race fits the width, and Tab reaches each of its controls with a visible ring', async () => {
    const phone = await dashboard.browser.newPage({ viewport: { width: 390, height: 844 } });
    phone.setDefaultTimeout(BROWSER_WAIT_MS);
    phone.on('pageerror', (error) => dashboard.consoleErrors.push(error.message));
    try {
      await phone.goto(page.url());
      await phone.waitForSelector('#leaderboard tr[data-contestant="c4"]');
      const overflow = await phone.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await phone.focus('#race-classics');
      const reached: string[] = [];
      const faint: string[] = [];
      for (let i = 0; i < 20; i++) {
        const focus = await phone.evaluate(() => {
          const element = document.activeElement as HTMLElement;
          const style = getComputedStyle(element);
          return {
            name: element.getAttribute('aria-label') ?? element.textContent?.trim() ?? element.id,
            inRace: element.closest('#race') !== null,
            ring: style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2,
          };
        });
        if (!focus.inRace) break;
        reached.push(focus.name);
        if (!focus.ring) faint.push(focus.name);
        await phone.keyboard.press('Tab');
      }
      expect(reached).toEqual(
        expect.arrayContaining([
          'Race the classics',
          'Retune SGD + momentum',
          'Remove AdaGrad',
          'optimizer of the new contestant',
          'learning rate of the new contestant',
          'Add contestant',
        ]),
      );
      expect(faint).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('saves a screenshot of the race as a test artifact, with no errors in the console', async () => {
    await saveScreenshot(page, 'dashboard-race.png');
    expect(dashboard.consoleErrors).toEqual([]);
    expect(dashboard.errorFrames).toEqual([]);
  });
});
