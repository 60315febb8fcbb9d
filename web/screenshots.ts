/**
 * `npm run screenshots:pages`: the pictures in docs/client.md. Starts a local stack, walks the
 * pages in Debian's Chromium (playwright-core, never a downloaded browser) at a desktop and a
 * phone width, and writes docs/images/pages-<view>-<width>.png. Run it after changing the pages.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { chromium, type Page } from 'playwright-core';
import { startLocalStack } from '../infra/local/stack';

const outDir = 'docs/images';
const password = 'correct horse battery staple';
const widths = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const;

interface StoredMail {
  destination: { to: string[] };
  body: { text?: string };
}

async function linkFor(mailUrl: string, email: string, path: string): Promise<string> {
  for (let tries = 0; tries < 150; tries++) {
    const { emails } = (await (await fetch(`${mailUrl}/store`)).json()) as { emails: StoredMail[] };
    const link = emails
      .filter((mail) => mail.destination.to.includes(email))
      .map((mail) => mail.body.text?.match(new RegExp(`https?://\\S+${path}\\?token=\\S+`))?.[0])
      .findLast((found) => found !== undefined);
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no ${path} link mailed to ${email}`);
}

const stack = await startLocalStack({ quiet: true, env: { ARGON2_MEMORY_KIB: '1024', ARGON2_PASSES: '1' } });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});

try {
  await mkdir(outDir, { recursive: true });
  for (const { name, viewport } of widths) {
    const context = await browser.newContext({ viewport, colorScheme: 'light' });
    const page = await context.newPage();
    const shot = async (view: string, target: Page = page) => {
      await target.waitForTimeout(200);
      await target.screenshot({ path: `${outDir}/pages-${view}-${name}.png`, fullPage: name === 'phone' });
    };
    // The dev inbox is folded for the pictures: they show what a deployment serves.
    await page.goto(`${stack.apiUrl}/`);
    await page.evaluate(() => sessionStorage.setItem('serverless-auth-pages:inbox-folded', '1'));
    await page.reload();
    await page.getByTestId('status').filter({ hasText: 'Signed out' }).waitFor();
    await shot('sign-in');

    const email = `ada-${randomUUID().slice(0, 6)}@example.com`;
    await page.getByTestId('switch-sign-up').click();
    await page.getByTestId('register-email').fill(email);
    await page.getByTestId('register-submit').click();
    await page.getByTestId('status').filter({ hasText: 'Check' }).waitFor();
    await page.goto(await linkFor(stack.mailUrl, email, '/verify'));
    await page.getByTestId('verify-address').filter({ hasText: email }).waitFor();
    await shot('verify');
    await page.getByTestId('verify-password').fill(password);
    await page.getByTestId('verify-submit').click();
    await page.getByTestId('me').filter({ hasText: email }).waitFor();
    await page.getByTestId('nav-two-factor').click();
    await page.getByTestId('mfa-enroll-password').fill(password);
    await page.getByTestId('mfa-enroll-submit').click();
    await page.locator('#mfa-qr svg').waitFor();
    await page.mouse.move(0, 0);
    await shot('two-factor');
    await page.getByTestId('nav-profile').click();
    await shot('account');
    await context.close();
  }
  console.log(`Wrote the screenshots to ${outDir}/`);
} finally {
  await browser.close();
  await stack.stop();
}
