// The dashboard's access control in a real browser against a real control plane with API tokens: a
// viewer sees the lanes but no write buttons, and a write forced from the page answers 403; an
// admin sees them; without a token the page asks for one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
// @ts-expect-error a plain .mjs script without type declarations
import { buildUi } from '../../scripts/build-ui.mjs';
import { launchBrowser, type Browser } from '../support/browser.js';

const MAIN = join(import.meta.dirname, '../../control-plane/src/main.ts');
const ADMIN = 'admin-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';

describe('dashboard access control in a real browser', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-dashboard-access-'));
  let controlPlane: Managed;
  let base = '';
  let browser: Browser;

  const api = (method: string, path: string, token: string, body?: unknown) => fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
  });

  async function signIn(token: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${base}/ui/#/lanes`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('tr[data-lane="shared"]').waitFor();
    return page;
  }

  before(async () => {
    const { outDir } = await buildUi(join(workDir, 'ui'));
    const [apiPort, xdsPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${apiPort}`;
    const env = { ...process.env, LANEWAY_UI_DIR: outDir, LANEWAY_API_TOKENS: `ops:admin:${ADMIN},qa:viewer:${VIEWER}` };
    const args = ['--import', 'tsx', MAIN, '--api-port', String(apiPort), '--xds-port', String(xdsPort), '--host', '127.0.0.1', '--data-dir', join(workDir, 'data')];
    controlPlane = startProcess('control-plane', process.execPath, args, join(workDir, 'control-plane.log'), env);
    await waitFor('the control plane', async () => (await fetch(`${base}/readyz`)).ok, 60000);
    assert.equal((await api('PUT', '/v1/services/orders', ADMIN, { protocol: 'http', port: 8080, endpoints: ['127.0.0.1:9'] })).status, 201);
    assert.equal((await api('PUT', '/v1/lanes/shared', ADMIN, { services: { orders: ['127.0.0.1:10'] }, owner: 'ana' })).status, 201);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await controlPlane?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('the page itself needs no token; the data does', async () => {
    assert.equal((await fetch(`${base}/ui/`)).status, 200);
    assert.equal((await fetch(`${base}/v1/lanes`)).status, 401);
    assert.equal((await fetch(`${base}/v1/watch/lanes`)).status, 401);
  });

  test('a viewer sees the lanes and no write buttons; a forced write answers 403', async () => {
    const page = await signIn(VIEWER);
    assert.equal(await page.locator('.who').innerText(), 'qa (viewer) sign out');
    assert.equal(await page.getByRole('button', { name: 'New lane' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^(delete|renew) / }).count(), 0);
    assert.equal(await page.getByRole('columnheader', { name: 'Actions' }).count(), 0);
    const forced = await page.evaluate(async () => {
      const token = sessionStorage.getItem('laneway-token');
      const res = await fetch('/v1/lanes/shared', { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: await res.json() };
    });
    assert.equal(forced.status, 403);
    assert.equal(forced.body.error, 'forbidden');
    assert.equal((await api('GET', '/v1/lanes/shared', ADMIN)).status, 200);
    await page.close();
  });

  test('an admin sees the write buttons', async () => {
    const page = await signIn(ADMIN);
    assert.equal(await page.getByRole('button', { name: 'New lane' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'delete shared' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'renew shared' }).count(), 1);
    await page.close();
  });

  test('an unknown token is refused and the page asks again', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/ui/#/lanes`);
    await page.getByLabel('API token').fill('not-a-known-token-000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('the API token is not known').waitFor();
    assert.equal(await page.locator('table.lanes').count(), 0);
    await page.close();
  });
});
