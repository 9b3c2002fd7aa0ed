// The browser tests' common start: the dashboard's own start command (dist/main.js on a
// port the system picks, bound to 127.0.0.1) and Debian's Chromium driven by
// playwright-core. Both are stopped on every path: a start that fails half-way stops what
// it started, and a test process that exits without its afterAll still kills the server.
// scripts/prepare-browser.mjs (run by `pnpm test`) installs Chromium when it is missing.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const main = createRequire(import.meta.url).resolve('@adamflow/dashboard/main');
const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-results');

/**
 * Every wait in the browser tests is for an event; this bound only catches a hang. On a
 * busy machine the browser, the server and its trainer share two cores.
 */
export const BROWSER_WAIT_MS = 60_000;

/** How long a stopped server may take to save and exit before it is killed. */
const STOP_GRACE_MS = 30_000;

/** The dashboard's log is kept for error messages, up to this many characters. */
const LOG_CHARS = 16_000;

/** A running dashboard and a Chromium to look at it with. */
export interface DashboardBrowser {
  /** The dashboard's process. */
  readonly server: ChildProcess;
  /** The page's address, as the dashboard printed it. */
  readonly url: string;
  readonly browser: Browser;
  /** Console errors and uncaught exceptions of every page opened with {@link openPage}. */
  readonly consoleErrors: string[];
  /** Every `error` frame the server sent to a page opened with {@link openPage}. */
  readonly errorFrames: string[];
  /**
   * Opens a page at `viewport` whose errors are recorded; it is not navigated yet, so
   * init scripts and listeners can be added first.
   */
  openPage(viewport: { width: number; height: number }): Promise<Page>;
  /** Sends the server SIGTERM and resolves with its exit code (null if it had to be killed). */
  stopServer(): Promise<number | null>;
  /** Closes the browser, then stops the server if it still runs. */
  close(): Promise<void>;
}

/**
 * Starts the dashboard with `env` on top of this process's environment (PORT=0,
 * HOST=127.0.0.1 are set here) and launches Chromium headless.
 *
 * @param env - the dashboard's settings, e.g. `{ ADAMFLOW_RATE: '3000' }`.
 * @returns the running pair; call `close()` in afterAll.
 * @example
 * ```ts
 * const dashboard = await startDashboardBrowser({ ADAMFLOW_CHECKPOINT: 'none' });
 * const page = await dashboard.openPage({ width: 1440, height: 900 });
 * await page.goto(dashboard.url);
 * await dashboard.close();
 * ```
 */
export async function startDashboardBrowser(
  env: Record<string, string>,
): Promise<DashboardBrowser> {
  const server = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that dies without its afterAll must not leave the dashboard running.
  const killOnExit = () => server.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stopServer = async () => {
    await stopChild(server);
    process.off('exit', killOnExit);
    return server.exitCode;
  };
  let browser: Browser | undefined;
  try {
    const url = await printedUrl(server);
    browser = await chromium.launch({
      executablePath: process.env['ADAMFLOW_CHROMIUM'] ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    return dashboardBrowser(server, url, browser, stopServer);
  } catch (error) {
    await browser?.close();
    await stopServer();
    throw error;
  }
}

function dashboardBrowser(
  server: ChildProcess,
  url: string,
  browser: Browser,
  stopServer: () => Promise<number | null>,
): DashboardBrowser {
  const consoleErrors: string[] = [];
  const errorFrames: string[] = [];
  return {
    server,
    url,
    browser,
    consoleErrors,
    errorFrames,
    async openPage(viewport) {
      const page = await browser.newPage({ viewport });
      page.setDefaultTimeout(BROWSER_WAIT_MS);
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      page.on('websocket', (socket) =>
        socket.on('framereceived', ({ payload }) => {
          const text = String(payload);
          if (text.includes('"type":"error"')) errorFrames.push(text);
        }),
      );
      return page;
    },
    stopServer,
    async close() {
      try {
        await browser.close();
      } finally {
        await stopServer();
      }
    },
  };
}

/**
 * Saves a full-page screenshot of `page` under test/test-results/ as a test artifact.
 *
 * @param page - the page to take.
 * @param name - the file's name, e.g. `dashboard.png`.
 * @returns the file's path.
 * @example
 * ```ts
 * await saveScreenshot(page, 'dashboard.png');
 * ```
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`[e2e] screenshot: ${path}`);
  return path;
}

/** Resolves with the URL the dashboard prints once it listens; rejects if it exits first. */
function printedUrl(server: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let log = '';
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      server.off('exit', exited);
      done();
    };
    const timer = setTimeout(
      () => settle(() => reject(new Error(`dashboard did not print its URL: ${log}`))),
      BROWSER_WAIT_MS,
    );
    const exited = (code: number | null) =>
      settle(() => reject(new Error(`dashboard exited with ${code}: ${log}`)));
    server.once('exit', exited);
    const keep = (chunk: Buffer) => {
      log = (log + chunk).slice(-LOG_CHARS);
    };
    // Both pipes are read for as long as the server runs, so its writes never block.
    server.stderr!.on('data', keep);
    server.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      const match = /adamflow dashboard: (http:\/\/\S+)/.exec(log);
      if (match) settle(() => resolve(match[1]!));
    });
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within the grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
  });
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
