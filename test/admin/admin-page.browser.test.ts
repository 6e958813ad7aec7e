import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { type RunningDemo, startDemo } from '../../dev/demo/demo.ts';
import { launchChromium } from '../support/browser.ts';

// The committed screenshots are rewritten only on request, so a test run leaves a clean tree.
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const DOC_IMAGES = resolve(import.meta.dirname, '../../docs/images');

/**
 * The admin page in a real browser (Chromium driven by playwright-core, test/support/browser.ts) against the
 * complete offline demo: Azurite, the simulated Exchange and PHONE-LiNK, the functions.
 * It also takes the docs' screenshots: into a temporary folder, or into docs/images with
 * UPDATE_SCREENSHOTS=1.
 */
describe('§5 admin page in a browser', () => {
  let demo: RunningDemo;
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  let images: string;

  before(async () => {
    images = UPDATE_SCREENSHOTS ? DOC_IMAGES : await mkdtemp(join(tmpdir(), 'admin-screenshots-'));
    demo = await startDemo({ port: 0, dataDir: null, print: () => undefined });
    profile = await mkdtemp(join(tmpdir(), 'chromium-'));
    // A fresh profile each run: no cache, no stored key from an earlier run.
    context = await launchChromium(profile, { viewport: { width: 1400, height: 1300 } });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await demo?.stop();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    if (images !== undefined && images !== DOC_IMAGES) await rm(images, { recursive: true, force: true });
  });

  it('asks for the key once, then shows the status', async () => {
    await page.goto(demo.adminPageUrl);
    await page.getByTestId('key-dialog').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#main').isHidden(), true, 'no data before the key');
    await page.fill('#key-input', 'not-the-key');
    await page.press('#key-input', 'Enter');
    await page.getByText('That key was not accepted.').waitFor();

    await page.fill('#key-input', demo.adminApiKey);
    await page.press('#key-input', 'Enter');
    await page.locator('[data-testid=status].online').waitFor({ timeout: 20_000 });
    await page.reload();
    await page.locator('[data-testid=status].online').waitFor();
    assert.equal(await page.getByTestId('key-dialog').isVisible(), false, 'the key is kept for the tab');
  });

  it('lists the users with availability and why', async () => {
    // Rows appear with the directory; availability once each calendar is read (the page refreshes every 10 s).
    const text = await eventually(
      async () => (await page.getByTestId('users').textContent()) ?? '',
      (users) => /Eve Porter[\s\S]*OutOfOffice/.test(users),
      40_000,
    );
    assert.match(text, /Ann Smith/);
    assert.match(text, /Eve Porter[\s\S]*OutOfOffice/);
    assert.doesNotMatch(text, /Doctor/, 'the private subject is never shown');
  });

  it('adds log lines on Force now', async () => {
    const log = page.getByTestId('log');
    await log.locator('div').first().waitFor();
    const before = await log.locator('div').count();
    await page.getByTestId('force-now').click();
    await eventually(
      () => log.locator('div').count(),
      (count) => count > before,
      10_000,
    );
    assert.match((await log.textContent()) ?? '', /Force now: scan requested by the administrator/);
  });

  it('offers the choices the settings catalog names, and keeps deployment settings read only', async () => {
    const form = page.getByTestId('settings');
    const tentative = form.locator('select[name=TENTATIVE_AS] option');
    await tentative.first().waitFor({ state: 'attached' });
    assert.deepEqual(await tentative.allTextContents(), ['Meeting', 'Available']);
    assert.deepEqual(await form.locator('select[name=CALENDAR_SOURCE] option').allTextContents(), [
      'graph',
      'ews',
      'hybrid',
    ]);
    assert.equal(await form.locator('input[name=ADMIN_API_KEY]').isDisabled(), true);
    assert.equal(await form.locator('input[name=PHONELINK_API_KEY]').isDisabled(), false);
  });

  it("opens a user's appointments", async () => {
    await page.locator('[data-testid=users] tbody tr', { hasText: 'Ann Smith' }).click();
    const advanced = page.getByTestId('advanced');
    await advanced.waitFor({ state: 'visible' });
    await page.locator('[data-testid=appointments] tbody tr', { hasText: 'Design review' }).first().waitFor();
    assert.match((await page.getByTestId('transitions').textContent()) ?? '', /Meeting/);
    // The screenshot shows pushes made: wait for the next refresh to show what PHONE-LiNK holds.
    await eventually(
      async () => (await page.getByTestId('users').textContent()) ?? '',
      (users) => !/unknown/.test(users),
      25_000,
    ).catch(() => undefined);
    await mkdir(images, { recursive: true });
    await page.screenshot({ path: join(images, 'admin-page.png'), fullPage: true });
  });

  it('§6 never answers or logs a secret of the demo', async () => {
    const api = demo.adminPageUrl.replace(/admin$/, '');
    const headers = { authorization: `Bearer ${demo.adminApiKey}` };
    const bodies = await Promise.all(
      ['status', 'settings', 'log', 'users', 'users/201/appointments', 'health'].map(async (path) =>
        (await fetch(`${api}${path}`, { headers })).text(),
      ),
    );
    const page = await (await fetch(`${api}admin`)).text();
    for (const body of [...bodies, page]) {
      for (const secret of demo.secretValues) assert.ok(!body.includes(secret), 'a secret leaked');
    }
    assert.match(bodies[2] ?? '', /Connected to Microsoft Graph/);
  });

  it('shows the presence window of the simulated PHONE-LiNK', async () => {
    const window = await context.newPage();
    await window.goto(demo.presenceWindowUrl);
    await window.getByText('Ann Smith').first().waitFor();
    await window.waitForTimeout(500);
    await window.screenshot({ path: join(images, 'presence-window.png'), fullPage: true });
    await window.close();
  });
});

/** Polls `read` until `done` holds, then returns the value; throws with the last value after `timeoutMs`. */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`not reached within ${timeoutMs} ms; last: ${String(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
