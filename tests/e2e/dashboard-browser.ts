import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../helpers/tmp.js';
import { startTestApi, type TestApi } from '../integration/orchestrator/api-helpers.js';
import { startStepHost, type StepHost } from '../integration/orchestrator/helpers.js';

// The set-up the dashboard's browser tests share: a real worker host running the scripted step
// functions, a real orchestrator in front of it, and Debian's Chromium (headless, driven through
// playwright-core) with a desktop and a phone tab. Each tab records what went wrong on it (failed
// requests, console errors, script errors), so a test can say the pages it drew had none.

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(
  new URL('../../test-results/screenshots/', import.meta.url),
);
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface DashboardE2E {
  root: string;
  fixtureDir: string;
  stepHost: StepHost;
  api: TestApi;
  browser: Browser;
  /** A 1280 px wide tab and a 390 px wide phone tab (touch, mobile viewport). */
  desktop: Page;
  phone: Page;
  /** What went wrong in either tab since the last call, as "<status> <url>" or the message. */
  takeProblems(): string[];
  /** Requests that left the orchestrator's origin (a CDN or a font the page must not use). */
  offsite: string[];
  stop(): Promise<void>;
}

export async function startDashboardE2E(
  prefix: string,
  apiSettings: Record<string, string> = {},
): Promise<DashboardE2E> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: apt-get install chromium (the tests never download a browser)`,
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const root = tempDir(prefix);
  const fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  const stepHost = await startStepHost(root.dir, fixtureDir);
  const api = await startTestApi(root.dir, stepHost, apiSettings);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems: string[] = [];
  const offsite: string[] = [];
  const open = async (context: BrowserContext): Promise<Page> => {
    await context.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
      offsite.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    // Timers run on a clock a test can move forward (the system page samples every 5 s).
    await page.clock.install();
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => {
      // A download the test saved, or a stream the page closed on leaving a run, is not a problem.
      const why = request.failure()?.errorText ?? '';
      if (why !== 'net::ERR_ABORTED') problems.push(`${why} ${request.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`script: ${error.message}`));
    return page;
  };
  const desktop = await open(await browser.newContext({ viewport: DESKTOP }));
  const phone = await open(
    await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true }),
  );
  return {
    root: root.dir,
    fixtureDir,
    stepHost,
    api,
    browser,
    desktop,
    phone,
    offsite,
    takeProblems: () => problems.splice(0),
    stop: async () => {
      await browser.close();
      await api.stop();
      await stepHost.stop();
      root.cleanup();
    },
  };
}

export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.fill('#api-key', key);
  await page.click('button[type=submit]');
}

/** Signs in and waits for the runs list the dashboard opens on. */
export async function signedIn(page: Page, url: string, key: string): Promise<void> {
  await signIn(page, url, key);
  await page.waitForSelector('h1:text("Runs")');
}

/**
 * Checks the page is no wider than its tab (a phone must never scroll sideways: long lines wrap
 * or scroll inside their own box) and saves a full-page screenshot as `<name>-<width>.png`.
 */
export async function capture(page: Page, name: string): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  const pageWidth = await page.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
  expect({ name, width, tooWide: pageWidth > width && pageWidth }).toEqual({
    name,
    width,
    tooWide: false,
  });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
}

/** Every `.id` element the page shows: its text and title, and whether it is drawn on one line. */
export async function idsShown(
  page: Page,
): Promise<{ text: string; title: string; oneLine: boolean; whole: boolean }[]> {
  return page.$$eval('.id', (elements) =>
    elements
      .filter((element) => element.getClientRects().length > 0)
      .map((element) => ({
        text: element.textContent ?? '',
        title: element.getAttribute('title') ?? '',
        oneLine:
          element.getBoundingClientRect().height <
          2 * parseFloat(getComputedStyle(element).fontSize),
        // Not cut with an ellipsis either: the box is as wide as the id.
        whole: element.scrollWidth <= element.clientWidth,
      })),
  );
}

/** The thread and run ids of a run page's address (`#/run/<thread>/<run>`). */
export function idsOf(url: string): { threadId: string; runId: string } {
  const [, threadId = '', runId = ''] = /#\/run\/([^/]+)\/([^/?]+)/.exec(url) ?? [];
  return { threadId: decodeURIComponent(threadId), runId: decodeURIComponent(runId) };
}
