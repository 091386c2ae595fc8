import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, which scripts/services.sh installs. */
export const CHROMIUM = '/usr/bin/chromium';

/** A headless Chromium with a fresh profile of its own; close() also removes the profile. */
export async function openBrowser(
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the status page test needs ${CHROMIUM}: run scripts/services.sh as root (it installs Debian's chromium)`,
    );
  const profile = await mkdtemp(join(tmpdir(), 'dd-chromium-'));
  // n.b. playwright takes the profile directory itself (it refuses --user-data-dir in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the status page has redrawn itself once more (it polls the worker every two seconds). */
export async function nextRefresh(page: Page): Promise<void> {
  const before = await page.locator('body').getAttribute('data-updated');
  // n.b. a selector, not waitForFunction: the page's Content-Security-Policy forbids evaluating strings.
  await page
    .locator(before === null ? 'body[data-updated]' : `body:not([data-updated="${before}"])`)
    .waitFor({ state: 'attached' });
}
