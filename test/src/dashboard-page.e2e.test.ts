// The page at a phone's width (390 px) and a laptop's (1440 px), in Debian's Chromium:
// the controls never cover a chart, no number is cut, the loss chart's log axis draws a
// few grid lines and not a band of them, and every control can be reached, seen focused,
// named and worked with the keyboard alone.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DashboardBrowser,
  saveScreenshot,
  startDashboardBrowser,
} from './testing/dashboard-browser.js';

const WIDTHS = [
  { width: 390, height: 844 },
  { width: 1440, height: 900 },
] as const;
const CONTROLS = [
  'pause',
  'reset',
  'lr',
  'optimizer',
  'source',
  'rate',
  'save',
  'restore',
  'token',
];
const CHARTS = ['scatter', 'loss', 'params'];

// The run's checkpoint file, for the save and restore buttons: in a directory of its own,
// removed afterwards, and never read at start (ADAMFLOW_FRESH).
const checkpointDir = mkdtempSync(join(tmpdir(), 'adamflow-page-'));
let dashboard: DashboardBrowser;
const pages = new Map<number, Page>();
// The step of every state-changed after a restore that the server sent to any page.
const restoredSteps: number[] = [];

/**
 * Records, per canvas, the straight segments stroked since the canvas was last cleared in
 * full: what a chart drew in its latest frame. uPlot draws axes, ticks and grid with
 * moveTo/lineTo/stroke on the context (its series go through Path2D, not recorded here).
 */
function recordCanvasSegments(): void {
  type Segment = [number, number, number, number];
  interface Record {
    at?: [number, number];
    pending: Segment[];
    drawn: Segment[];
  }
  const records = new WeakMap<CanvasRenderingContext2D, Record>();
  const of = (context: CanvasRenderingContext2D): Record => {
    let record = records.get(context);
    if (!record) {
      record = { pending: [], drawn: [] };
      records.set(context, record);
    }
    return record;
  };
  const proto = CanvasRenderingContext2D.prototype;
  const { beginPath, moveTo, lineTo, stroke, clearRect } = proto;
  proto.beginPath = function (this: CanvasRenderingContext2D) {
    of(this).pending = [];
    return beginPath.call(this);
  };
  proto.moveTo = function (this: CanvasRenderingContext2D, x: number, y: number) {
    of(this).at = [x, y];
    return moveTo.call(this, x, y);
  };
  proto.lineTo = function (this: CanvasRenderingContext2D, x: number, y: number) {
    const record = of(this);
    if (record.at) record.pending.push([record.at[0], record.at[1], x, y]);
    record.at = [x, y];
    return lineTo.call(this, x, y);
  };
  proto.stroke = function (this: CanvasRenderingContext2D, ...args: [Path2D?]) {
    const record = of(this);
    if (args.length === 0) record.drawn.push(...record.pending);
    return (stroke as (...a: unknown[]) => void).apply(this, args);
  };
  proto.clearRect = function (
    this: CanvasRenderingContext2D,
    x: number,
    y: number,
    w: number,
    h: number,
  ) {
    if (w >= this.canvas.width && h >= this.canvas.height) of(this).drawn = [];
    return clearRect.call(this, x, y, w, h);
  };
  (window as unknown as { segmentsOf: unknown }).segmentsOf = (canvas: HTMLCanvasElement) =>
    of(canvas.getContext('2d')!).drawn;
}

beforeAll(async () => {
  dashboard = await startDashboardBrowser({
    ADAMFLOW_RATE: '3000',
    ADAMFLOW_CHECKPOINT: join(checkpointDir, 'run.json'),
    ADAMFLOW_FRESH: '1',
    // Only the Save button writes the file, so Restore goes back to exactly that one.
    ADAMFLOW_CHECKPOINT_MS: '3600000',
  });
  for (const viewport of WIDTHS) {
    const page = await dashboard.openPage(viewport);
    page.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => {
        const text = String(payload);
        if (text.includes('"reason":"restore"')) {
          restoredSteps.push((JSON.parse(text) as { step: number }).step);
        }
      }),
    );
    await page.addInitScript(recordCanvasSegments);
    await page.goto(dashboard.url);
    await page.waitForSelector('body[data-status="live"]');
    pages.set(viewport.width, page);
  }
  // Long enough for the step count to reach five digits and the loss to span decades.
  await pages
    .get(390)!
    .waitForFunction(() => Number(document.getElementById('scatter')!.dataset['step']) > 20_000);
});

afterAll(async () => {
  try {
    await dashboard?.close();
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }
});

/** Runs `check` on the page at each width and returns what it found, keyed by width. */
async function atEachWidth<T>(check: (page: Page) => Promise<T>): Promise<Record<number, T>> {
  const found: Record<number, T> = {};
  for (const { width } of WIDTHS) found[width] = await check(pages.get(width)!);
  return found;
}

const showTokenField = (page: Page, shown: boolean) =>
  page.$eval(
    '#token-field',
    (element, value) => {
      (element as HTMLElement).hidden = !value;
    },
    shown,
  );

type Config = {
  lr: number;
  paused: boolean;
  optimizer: string;
  source: string;
  rate: number | null;
};

/** Waits until the page's copy of the server's config has `key` at `value`. */
const configHas = <K extends keyof Config>(page: Page, key: K, value: Config[K]) =>
  page.waitForFunction(
    ([k, v]) =>
      (window as unknown as { adamflow: { state: { config?: Record<string, unknown> } } }).adamflow
        .state.config?.[k as string] === v,
    [key, value] as const,
  );

describe('the page at 390 px and 1440 px', () => {
  it('no control overlaps a chart, wherever the page is scrolled', async () => {
    const overlaps = await atEachWidth(async (page) => {
      await showTokenField(page, true);
      const found = await page.evaluate(
        async ({ controls, charts }) => {
          const boxOf = (id: string) => document.getElementById(id)!.getBoundingClientRect();
          const hits: string[] = [];
          const bottom = document.documentElement.scrollHeight - window.innerHeight;
          for (let y = 0; ; y = Math.min(bottom, y + window.innerHeight / 2)) {
            window.scrollTo(0, y);
            await new Promise((resolve) => requestAnimationFrame(resolve));
            for (const control of controls) {
              const a = boxOf(control);
              for (const chart of charts) {
                const b = boxOf(chart);
                const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                if (w > 0 && h > 0) hits.push(`${control} over ${chart} at scroll ${y}`);
              }
            }
            if (y >= bottom) break;
          }
          window.scrollTo(0, 0);
          return hits;
        },
        { controls: CONTROLS, charts: CHARTS },
      );
      await showTokenField(page, false);
      return found;
    });
    expect(overlaps).toEqual({ 390: [], 1440: [] });
  });

  it('no stat card cuts its number', async () => {
    const clipped = await atEachWidth((page) =>
      page.$$eval('.tile .value', (values) =>
        values
          .filter((value) => value.scrollWidth > value.clientWidth)
          .map((value) => `${value.id}: "${value.textContent}" needs ${value.scrollWidth}px`),
      ),
    );
    // the cards show real numbers, not placeholders
    const step = await pages.get(390)!.textContent('#stat-step');
    expect(step).toMatch(/^\d{2,3},\d{3}$/);
    expect(clipped).toEqual({ 390: [], 1440: [] });
  });

  it("the loss chart's log axis draws a few horizontal grid lines, not a band", async () => {
    const lines = await atEachWidth((page) =>
      page.$eval('#loss canvas', (canvas) => {
        const segments = (
          window as unknown as { segmentsOf: (c: Element) => [number, number, number, number][] }
        ).segmentsOf(canvas);
        // a grid line crosses most of the plot; ticks and the axis's own marks do not
        const long = segments.filter(
          ([x0, y0, x1, y1]) =>
            Math.abs(y1 - y0) < 0.5 && Math.abs(x1 - x0) > (canvas as HTMLCanvasElement).width / 2,
        );
        return new Set(long.map(([, y]) => Math.round(y))).size;
      }),
    );
    for (const { width } of WIDTHS) {
      expect(lines[width]).toBeGreaterThanOrEqual(2);
      expect(lines[width]).toBeLessThanOrEqual(7);
    }
  });

  it('Tab reaches every control, and the focused one shows a ring of 2 px or more at 3:1 contrast', async () => {
    const report = await atEachWidth(async (page) => {
      await showTokenField(page, true);
      await page.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        window.scrollTo(0, 0);
      });
      const reached: string[] = [];
      const faint: string[] = [];
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        const focus = await page.evaluate(() => {
          const element = document.activeElement as HTMLElement;
          const style = getComputedStyle(element);
          const channels = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
          const luminance = (color: string) => {
            const [r, g, b] = channels(color).map((c) => {
              const s = c / 255;
              return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
          };
          const [a, b] = [
            luminance(style.outlineColor),
            luminance(getComputedStyle(document.body).backgroundColor),
          ];
          return {
            id: element.id,
            visible:
              style.outlineStyle !== 'none' &&
              style.outlineStyle !== 'auto' &&
              Number.parseFloat(style.outlineWidth) >= 2 &&
              (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) >= 3,
            ring: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
          };
        });
        if (reached.includes(focus.id)) break;
        reached.push(focus.id);
        if (CONTROLS.includes(focus.id) && !focus.visible) faint.push(`${focus.id}: ${focus.ring}`);
      }
      await showTokenField(page, false);
      return { unreached: CONTROLS.filter((id) => !reached.includes(id)), faint };
    });
    expect(report).toEqual({
      390: { unreached: [], faint: [] },
      1440: { unreached: [], faint: [] },
    });
  });

  it('every control has an accessible name, and each slider speaks the value it shows', async () => {
    const report = await atEachWidth(async (page) => {
      await showTokenField(page, true);
      const cdp = await page.context().newCDPSession(page);
      const { root } = await cdp.send('DOM.getDocument');
      const unnamed: string[] = [];
      for (const id of CONTROLS) {
        const { nodeId } = await cdp.send('DOM.querySelector', {
          nodeId: root.nodeId,
          selector: `#${id}`,
        });
        const { nodes } = await cdp.send('Accessibility.getPartialAXTree', {
          nodeId,
          fetchRelatives: false,
        });
        const name = String(nodes[0]?.name?.value ?? '').trim();
        if (!name) unnamed.push(id);
      }
      const sliders: { spoken: string[]; shown: string | undefined }[] = [];
      for (const slider of ['lr', 'rate']) {
        const { nodeId } = await cdp.send('DOM.querySelector', {
          nodeId: root.nodeId,
          selector: `#${slider}`,
        });
        const { nodes } = await cdp.send('Accessibility.getPartialAXTree', {
          nodeId,
          fetchRelatives: false,
        });
        sliders.push({
          // Chromium leaves a native range's aria-valuetext out of the tree; the
          // description (aria-describedby) is what it reads after the value.
          spoken: [
            String(nodes[0]?.description?.value ?? ''),
            String(nodes[0]?.properties?.find((p) => p.name === 'valuetext')?.value.value ?? ''),
          ],
          shown: (await page.textContent(`#${slider}-value`))?.trim(),
        });
      }
      await cdp.detach();
      await showTokenField(page, false);
      return { unnamed, sliders };
    });
    for (const { width } of WIDTHS) {
      expect(report[width]!.unnamed).toEqual([]);
      for (const { spoken, shown } of report[width]!.sliders) expect(spoken).toContain(shown);
    }
  });

  it('every control works from the keyboard, a held arrow key on the slider included', async () => {
    const page = pages.get(390)!;
    const stepNow = () =>
      page.$eval('#scatter', (el) => Number((el as HTMLElement).dataset['step']));
    dashboard.errorFrames.length = 0;

    await page.focus('#pause');
    await page.keyboard.press('Space');
    await page.waitForSelector('body[data-status="paused"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-status="live"]');

    const before = await stepNow();
    await page.focus('#reset');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (limit) => Number(document.getElementById('scatter')!.dataset['step']) < limit,
      before,
    );

    // Forty presses sent without waiting for each (in order, about 30 a second here, as a held
    // key makes them): one command per press would run into the server's rate limit.
    const hold = (key: string) =>
      Promise.all(Array.from({ length: 40 }, () => page.keyboard.press(key)));
    await page.focus('#lr');
    await hold('ArrowLeft');
    expect(await page.inputValue('#lr')).toBe('-4');
    await configHas(page, 'lr', 0.0001);
    await hold('ArrowRight');
    expect(await page.inputValue('#lr')).toBe('-2');
    await configHas(page, 'lr', 0.01);

    await page.focus('#optimizer');
    await page.keyboard.press('ArrowDown');
    await configHas(page, 'optimizer', 'adamw');
    await page.keyboard.press('ArrowUp');
    await configHas(page, 'optimizer', 'adam');

    await page.focus('#source');
    await page.keyboard.press('ArrowDown');
    await configHas(page, 'source', 'drift');
    await page.keyboard.press('ArrowUp');
    await configHas(page, 'source', 'seed');

    // The pace: Home is 1 sample a second, End trains flat out, back to 3200 notch by notch.
    await page.focus('#rate');
    await page.keyboard.press('Home');
    await configHas(page, 'rate', 1);
    await page.keyboard.press('End');
    await configHas(page, 'rate', null);
    expect(await page.textContent('#rate-value')).toBe('flat out');
    await page.keyboard.press('Home');
    await Promise.all(Array.from({ length: 35 }, () => page.keyboard.press('ArrowRight')));
    await configHas(page, 'rate', 3200);
    expect(await page.textContent('#rate-value')).toBe('3,200/s');

    // Save, train on, restore: the step goes back to where it was saved.
    await page.focus('#save');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.getElementById('toast')!.textContent === 'checkpoint saved',
    );
    // The file holds the run as the Save took it (no periodic write in this test).
    const file = JSON.parse(readFileSync(join(checkpointDir, 'run.json'), 'utf8')) as {
      session: { learner: { steps: number } };
    };
    const saved = file.session.learner.steps;
    await page.waitForFunction(
      (limit) => Number(document.getElementById('scatter')!.dataset['step']) > limit,
      saved + 3000,
    );
    await page.focus('#restore');
    await page.keyboard.press('Space');
    await page.waitForFunction(
      () => document.getElementById('toast')!.textContent === 'back to the last checkpoint',
    );
    // One state-changed went to each of the two pages (the other may still be reading its
    // copy), at exactly the step the file holds: the run went back 3000 steps and more.
    await expect.poll(() => restoredSteps.length, { timeout: 30_000 }).toBe(2);
    expect(restoredSteps).toEqual([saved, saved]);

    await showTokenField(page, true);
    await page.focus('#token');
    await page.keyboard.type('abc');
    expect(await page.inputValue('#token')).toBe('abc');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Backspace');
    expect(await page.inputValue('#token')).toBe('');
    await showTokenField(page, false);

    expect(dashboard.errorFrames).toEqual([]);
  });

  it('saves a screenshot at each width as a test artifact, with no errors in the console', async () => {
    await atEachWidth(async (page) => {
      await page.evaluate(() => window.scrollTo(0, 0));
      await saveScreenshot(page, `dashboard-${page.viewportSize()!.width}.png`);
    });
    expect(dashboard.consoleErrors).toEqual([]);
  });
});
