// The dashboard in a real browser (Debian's chromium, headless, through playwright-core) against a
// real control plane and the real Envoy mesh: what a tester sees on the pages, and that what they
// do there (create, delete) changes where requests through the ingress go.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { LocalMesh } from '../../deploy/local/mesh.js';
// @ts-expect-error a plain .mjs script without type declarations
import { buildUi } from '../../scripts/build-ui.mjs';
import { axeViolations, launchBrowser, type Browser } from '../support/browser.js';
import { get, waitForPath } from '../support/mesh-client.js';

const CLI = ['--import', 'tsx', join(import.meta.dirname, '../../control-plane/src/cli/laneway.ts')];
const STABLE_PATH = 'frontend/stable orders/stable payments/stable';
const FEATURE_Z_PATH = 'frontend/stable orders/feature-z payments/stable';

describe('dashboard in a real browser, on the demo mesh', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-dashboard-'));
  const mesh = new LocalMesh({ workDir, ports: 'free', ingressDomain: 'app.example.test' });
  let browser: Browser;
  let page: Page;
  const ui = (hash: string) => `${mesh.apiUrl}/ui/#/${hash}`;
  // A fresh load each time: going to the same URL with a hash would keep the page's state.
  const open = async (hash: string) => {
    await page.goto('about:blank');
    await page.goto(ui(hash));
  };
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [...CLI, ...args, '--server', mesh.apiUrl]);

  before(async () => {
    // The control plane serves the freshly built dashboard (npm run build puts it in dist/ui).
    process.env.LANEWAY_UI_DIR = (await buildUi(join(workDir, 'ui'))).outDir;
    await mesh.startDemo();
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await mesh.stop();
    delete process.env.LANEWAY_UI_DIR;
    rmSync(workDir, { recursive: true, force: true });
  });

  test('the lanes page lists the demo lane with its overridden service and chain', async () => {
    await open('lanes');
    const row = page.locator('tr[data-lane="feature-x"]');
    await row.waitFor();
    const cells = await row.locator('th, td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 5), ['feature-x', '—', '—', 'feature-x → stable', 'orders']);
    assert.equal(await page.locator('table.lanes tbody tr').count(), 1);
  });

  test('the matrix shows orders served by feature-x and payments by stable for feature-x; a cell explains itself', async () => {
    await open('matrix');
    const row = page.locator('tr[data-lane="feature-x"]');
    await row.waitFor();
    const cell = (service: string) => row.locator(`td[data-service="${service}"]`);
    assert.deepEqual(await page.locator('table.matrix thead th').allInnerTexts(), ['Lane', 'frontend', 'orders', 'payments']);
    assert.equal(await cell('orders').innerText(), 'own');
    assert.equal(await cell('orders').getAttribute('class'), 'cell own');
    assert.equal(await cell('payments').innerText(), 'stable');
    assert.equal(await cell('frontend').innerText(), 'stable');
    await cell('payments').click();
    await page.locator('.explain .reason').waitFor();
    assert.equal(await page.locator('.explain .reason').innerText(), 'no lane in feature-x → stable has an instance of payments: stable serves');
    // The keyboard reaches every cell: arrow keys move, Enter explains.
    await cell('frontend').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.locator('#explain-title', { hasText: 'orders in feature-x' }).waitFor();
    // The title changes at once; the reason once orders' explanation has come (never payments' meanwhile).
    assert.match(await page.locator('.explain').innerText(), /Loading…|lane feature-x has its own instance of orders/);
    await page.locator('.explain .reason', { hasText: 'orders' }).waitFor();
    assert.equal(await page.locator('.explain .reason').innerText(), 'lane feature-x has its own instance of orders');
  });

  test('an invalid lane name shows the field error and creates nothing', async () => {
    await open('lanes');
    await page.getByRole('button', { name: 'New lane' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Bad_Name');
    await page.getByRole('button', { name: 'Create lane' }).click();
    const error = page.locator('#name-error');
    await error.waitFor();
    assert.equal(await error.innerText(), '"Bad_Name" is not a DNS label (1-63 lowercase letters, digits and \'-\', starting and ending with a letter or digit)');
    assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
    const lanes = await mesh.api('GET', '/v1/lanes');
    assert.deepEqual(lanes.body.items.map((l: { name: string }) => l.name), ['feature-x']);
  });

  test('a lane created through the form routes ingress requests to its instance (preview link)', async () => {
    const z = await mesh.addInstance('orders', 'feature-z');
    await open('lanes');
    await page.getByRole('button', { name: 'New lane' }).click();
    await page.getByLabel('Name', { exact: true }).fill('feature-z');
    await page.getByLabel('Owner', { exact: true }).fill('ana');
    await page.getByLabel('Services', { exact: true }).fill(`orders=127.0.0.1:${z.appPort}`);
    await page.getByRole('button', { name: 'Create lane' }).click();
    await page.locator('tr[data-lane="feature-z"]').waitFor();
    await open('lane/feature-z');
    const query = page.locator('tr[data-mechanism="query"] a');
    await query.waitFor();
    const link = await query.getAttribute('href');
    assert.equal(link, `${mesh.ingressUrl}/?lane=feature-z`);
    await waitForPath(link!, {}, FEATURE_Z_PATH, 10000);
    assert.equal((await get(link!)).path, FEATURE_Z_PATH);
  });

  test('a lane created with the CLI appears without a reload within 2 s, and disappears when deleted', async () => {
    await open('lanes');
    await page.locator('tr[data-lane="feature-x"]').waitFor();
    await page.locator('.live', { hasText: 'live updates' }).waitFor();
    await cli('lane', 'create', 'from-cli', '--owner', 'ci');
    const created = Date.now();
    await page.locator('tr[data-lane="from-cli"]').waitFor({ timeout: 2000 });
    const appeared = Date.now() - created;
    await cli('lane', 'delete', 'from-cli');
    const deleted = Date.now();
    await page.locator('tr[data-lane="from-cli"]').waitFor({ state: 'detached', timeout: 2000 });
    assert.ok(appeared <= 2000 && Date.now() - deleted <= 2000, `appeared after ${appeared} ms`);
  });

  test('every page has no serious or critical accessibility violation (axe-core)', async (t) => {
    const pages: Array<[string, (p: Page) => Promise<unknown>]> = [
      ['lanes', (p) => p.locator('table.lanes').waitFor()],
      ['lanes (create form open)', async (p) => { await p.locator('table.lanes').waitFor(); await p.getByRole('button', { name: 'New lane' }).click(); }],
      ['matrix', (p) => p.locator('table.matrix').waitFor()],
      ['matrix (cell explained)', async (p) => { await p.locator('table.matrix td[data-service]').first().click(); await p.locator('.explain .reason').waitFor(); }],
      ['proxies', (p) => p.locator('table.proxies').waitFor()],
      ['proxies (config dump)', async (p) => { await p.locator('table.proxies button').first().click(); await p.locator('.dump-text').waitFor(); }],
      ['propagation', (p) => p.locator('#propagation-title ~ *').first().waitFor()],
      ['lane/feature-z', (p) => p.locator('table.links').waitFor()],
    ];
    const found: string[] = [];
    for (const [name, ready] of pages) {
      await open(name.split(' ')[0]!);
      await ready(page);
      for (const v of await axeViolations(page)) {
        const text = `${name}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(', ')}`;
        if (v.impact === 'serious' || v.impact === 'critical') found.push(text);
        else t.diagnostic(`axe, not failing: ${text}`);
      }
    }
    assert.deepEqual(found, []);
  });

  test('deleting a lane from the page returns its routing to stable', async () => {
    await open('lanes');
    await page.locator('tr[data-lane="feature-z"]').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'delete feature-z' }).click();
    await page.locator('tr[data-lane="feature-z"]').waitFor({ state: 'detached' });
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-z' }, STABLE_PATH, 10000);
    assert.equal((await get(`${mesh.ingressUrl}/?lane=feature-z`)).path, STABLE_PATH);
  });
});
