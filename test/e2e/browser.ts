import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { CHROMIUM } from './global-setup';

/**
 * Helpers for driving the demo page in Debian's Chromium (never a downloaded browser). Each
 * browser context is one "device": its own cookie jar and localStorage, tabs sharing them.
 */
export const stack = inject('e2eStack');

/** The flags the machine needs: no sandbox as root, and no background calls to Google's hosts. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a device's tabs did on the network and logged, for the assertions. */
export interface DeviceLog {
  /** Console errors and uncaught page errors, as text. */
  errors: string[];
  /** Status codes of the device's /auth/refresh replies, in order. */
  refreshStatuses: number[];
  /** Bearer tokens sent to /me, in order. */
  meTokens: string[];
}

export async function openDevice(browser: Browser): Promise<{ context: BrowserContext; log: DeviceLog }> {
  const context = await browser.newContext();
  const log: DeviceLog = { errors: [], refreshStatuses: [], meTokens: [] };
  context.on('console', (message) => {
    if (message.type() === 'error') log.errors.push(message.text());
  });
  context.on('weberror', (error) => log.errors.push(String(error.error())));
  context.on('response', (response) => {
    if (new URL(response.url()).pathname === '/auth/refresh') log.refreshStatuses.push(response.status());
  });
  context.on('request', (request) => {
    if (new URL(request.url()).pathname !== '/me') return;
    const authorization = request.headers()['authorization'];
    if (authorization) log.meTokens.push(authorization.replace(/^Bearer /, ''));
  });
  return { context, log };
}

export async function openDemo(context: BrowserContext, path = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${stack.apiUrl}${path}`);
  return page;
}

export function textOf(page: Page, testId: string): Promise<string> {
  return page.getByTestId(testId).innerText();
}

/** Waits (up to 15 s) until the element with this data-testid shows the text. */
export async function untilText(page: Page, testId: string, expected: string | RegExp): Promise<void> {
  const matcher = typeof expected === 'string' ? expect.stringContaining(expected) : expect.stringMatching(expected);
  await expect.poll(() => textOf(page, testId), { timeout: 15_000, interval: 100 }).toEqual(matcher);
}

/** Waits until an input has been emptied (the demo clears password fields once a form's request is done). */
export async function untilEmpty(page: Page, testId: string): Promise<void> {
  await expect.poll(() => page.getByTestId(testId).inputValue(), { timeout: 15_000, interval: 100 }).toBe('');
}

/** Saves a screenshot of every open tab under test-results/e2e/ (git-ignored). */
export async function screenshotAll(contexts: BrowserContext[], testName: string): Promise<void> {
  await mkdir('test-results/e2e', { recursive: true });
  const slug = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 80);
  const pages = contexts.flatMap((context) => context.pages());
  await Promise.all(
    pages.map((page, index) => page.screenshot({ path: `test-results/e2e/${slug}-${index + 1}.png`, fullPage: true }).catch(() => {})),
  );
}

export interface StoredMail {
  subject: string;
  destination: { to: string[] };
  body: { text?: string; html?: string };
}

/**
 * The newest link to `path` (e.g. '/verify', '/reset-password', '/confirm-email') in a mail to
 * `email` in the local mail store, waiting (polling, up to 15 s) for the mail to arrive. With
 * `after`, only a link that is not among those already seen.
 */
export async function mailLinkFor(email: string, path: string, after: string[] = []): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      async () => {
        link = (await mailLinksFor(email, path)).filter((found) => !after.includes(found)).at(-1);
        return link;
      },
      { timeout: 15_000, interval: 200 },
    )
    .toBeDefined();
  return link!;
}

function mailLinkPattern(path: string): RegExp {
  return new RegExp(`https?://\\S+${path}\\?token=[A-Za-z0-9_.~%-]+`);
}

/** Every link to `path` in the mails to `email` so far, oldest first. */
export async function mailLinksFor(email: string, path: string): Promise<string[]> {
  const { emails } = (await (await fetch(`${stack.mailUrl}/store`)).json()) as { emails: StoredMail[] };
  return emails
    .filter((mail) => mail.destination.to.includes(email))
    .map((mail) => mail.body.text?.match(mailLinkPattern(path))?.[0])
    .filter((found): found is string => found !== undefined);
}

/** Lets the wall clock pass (the access token's lifetime); not an assertion on timing. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG 2.2 AA rule set: levels A and AA of 2.0, 2.1 and 2.2. */
const wcag22aa = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * axe-core's WCAG 2.2 AA findings on the page as it is now, one line per rule and element.
 * axe is evaluated through the DevTools protocol, which the pages' CSP does not govern: the
 * policy stays as strict as it is served.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(`${axeSource};0`);
  const results = await page.evaluate(
    (tags) => (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }> } }).axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    wcag22aa,
  );
  return results.violations.flatMap((violation) => violation.nodes.map((node) => `${violation.id} at ${JSON.stringify(node.target)}: ${node.failureSummary ?? ''}`));
}

/** How far the page scrolls sideways (0 or less: it fits). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** The data-testid (or else the id) of the focused element: where keyboard and screen-reader users are. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    return active?.dataset.testid ?? active?.id ?? active?.tagName ?? '';
  });
}

/** Presses Tab (only Tab) until the element with this data-testid has focus; fails after `limit` presses. */
export async function tabTo(page: Page, testId: string, limit = 40): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    if ((await focused(page)) === testId) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached [data-testid="${testId}"] in ${limit} presses`);
}

/**
 * What Chromium reports about a page's forms (the "[DOM]" advice: password forms without a
 * username field, missing autocomplete, duplicate ids) through the DevTools Audits domain, and
 * "[DOM]" console lines, for every page of the context from now on.
 */
export function watchFormIssues(context: BrowserContext): string[] {
  const issues: string[] = [];
  const watch = async (page: Page) => {
    page.on('console', (message) => {
      if (message.text().includes('[DOM]')) issues.push(message.text());
    });
    const session = await context.newCDPSession(page);
    session.on('Audits.issueAdded', ({ issue }) => {
      const details = issue.details.genericIssueDetails;
      if (issue.code === 'GenericIssue' && details?.errorType.startsWith('Form')) issues.push(`${details.errorType} on ${page.url()}`);
    });
    await session.send('Audits.enable');
  };
  context.on('page', (page) => void watch(page));
  for (const page of context.pages()) void watch(page);
  return issues;
}
