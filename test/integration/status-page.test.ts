import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextRefresh, openBrowser } from '../support/browser.js';
import { startHarness, type Harness } from '../support/harness.js';
import { statusUrl } from '../support/http.js';
import { unique } from '../support/services.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe('the status page, in a real browser', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;
  const names = {
    report: unique('nightly-report'),
    thumbs: unique('thumbnails'),
    failing: unique('flaky-import'),
    sleeper: unique('long-render'),
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startHarness('dd-page', ['--http-port', '0']);
    browser = await openBrowser();
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.cleanup();
  });

  const run = (
    name: string,
    cmd: string[],
    options: Record<string, unknown> = { Attach: ['STDOUT', 'STDERR'], Remove: true },
  ) => ({
    Dockercmd: 'run',
    Image: h.image,
    Cmd: cmd,
    Options: { Name: name, ...options },
  });
  const recentRow = (container: string, command = 'run') =>
    page
      .locator('#recent tr', { hasText: container })
      .filter({ has: page.locator('td[data-label="Command"]', { hasText: command }) });

  it('shows engines, work in progress, recent results with their output, and a throughput chart, and keeps itself up to date', async () => {
    await Promise.all([
      h.broker.request(
        h.queue,
        run(names.report, ['sh', '-c', 'echo "report: 1,204 rows"; echo "written to /out/report.csv"']),
      ),
      h.broker.request(h.queue, run(names.thumbs, ['sh', '-c', 'for i in 1 2 3; do echo "thumbnail $i done"; done'])),
      h.broker.request(
        h.queue,
        run(names.failing, ['sh', '-c', 'echo "cannot reach the source database" >&2; exit 3']),
      ),
      h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: 'docker-dispatch-test:missing',
        Options: { Name: unique('missing-image') },
      }),
    ]);
    const sleeping = h.broker.request(h.queue, run(names.sleeper, ['sleep', '300'], { Remove: true }));
    sleeping.catch(() => undefined); // awaited below; n.b. not unhandled if the test fails before

    await page.goto(await statusUrl(h.worker));

    // Engines, with their health.
    await expect.poll(() => page.locator('#engines li.engine.ok').count()).toBe(2);
    expect(await page.locator('#engines').innerText()).toMatch(/a\s+healthy/);
    // Each engine's vendor and version, once its loop has read them.
    await expect.poll(() => page.locator('#engines li[data-engine="a"] .vendor').count()).toBe(1);
    expect(await page.locator('#engines li[data-engine="a"] .vendor').innerText()).toMatch(/^docker \d+\.\d+/);
    expect(await page.locator('#ready').innerText()).toBe('ready');

    // Work in progress: the sleeping run, with its engine and container.
    const progress = page.locator('#progress tr', { hasText: names.sleeper });
    await progress.waitFor();
    expect(await progress.locator('td[data-label="Command"]').innerText()).toBe('run');
    expect(await progress.locator('td[data-label="Image"]').innerText()).toBe(h.image);
    expect(['a', 'b']).toContain(await progress.locator('td[data-label="Engine"]').innerText());

    // Recent results: status, exit code, and the first lines of output on demand.
    await recentRow(names.failing).waitFor();
    expect(await recentRow(names.report).locator('td[data-label="Status"]').innerText()).toBe('ok');
    expect(await recentRow(names.failing).locator('td[data-label="Exit"]').innerText()).toBe('3');
    const deadLettered = page.locator('#recent tr', { has: page.locator('.badge.bad') });
    expect(await deadLettered.count()).toBe(1);
    await deadLettered.locator('summary').click();
    expect(await deadLettered.locator('.error-text').innerText()).toMatch(/^ImageNotFound: /);
    const output = recentRow(names.report).locator('details');
    expect(await output.locator('pre').first().isVisible()).toBe(false);
    await output.locator('summary').click();
    await expect
      .poll(() => output.locator('pre').first().innerText())
      .toBe('report: 1,204 rows\nwritten to /out/report.csv');
    // It stays open across the page's own refreshes.
    await nextRefresh(page);
    expect(await recentRow(names.report).locator('details pre').first().isVisible()).toBe(true);

    // The throughput chart has bars for the finished messages.
    expect(await page.locator('#chart svg rect.bar').count()).toBeGreaterThan(0);
    expect(await page.locator('#n-ok').innerText()).toBe('3');

    await page.screenshot({ path: `${ARTIFACTS}status-page.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await nextRefresh(page);
    await page.screenshot({ path: `${ARTIFACTS}status-page-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The page updates itself: once stopped, the sleeper leaves the work in progress and joins the results.
    await h.broker.request(h.queue, { Dockercmd: 'stop', Container: names.sleeper, Options: { Time: 0 } });
    expect((await sleeping).body.ExitCode).toBe(137);
    await recentRow(names.sleeper).waitFor();
    await progress.waitFor({ state: 'detached' });
    expect(await recentRow(names.sleeper).locator('td[data-label="Exit"]').innerText()).toBe('137');
  });
});
