// Takes the dashboard screenshots in docs/screenshots (`tsx test/support/dashboard-screenshots.ts`):
// the demo mesh with a few more lanes (a chain, owners, labels, expiry), a real headless Chromium.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalMesh } from '../../deploy/local/mesh.js';
// @ts-expect-error a plain .mjs script without type declarations
import { buildUi } from '../../scripts/build-ui.mjs';
import { axeViolations, launchBrowser } from './browser.js';

const OUT = resolve(import.meta.dirname, '../../docs/screenshots');

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-screenshots-'));
  process.env.LANEWAY_UI_DIR = (await buildUi(join(workDir, 'ui'))).outDir;
  const mesh = new LocalMesh({ workDir, ports: 'free', ingressDomain: 'app.example.test' });
  await mesh.startDemo();
  const x = mesh.endpointsOf('orders', 'feature-x');
  await mesh.api('PATCH', '/v1/lanes/feature-x', { owner: 'ana', labels: { team: 'checkout' }, ttl: '8h' });
  await mesh.api('PUT', '/v1/lanes/feature-x-fix', { fallback: 'feature-x', owner: 'ana', labels: { team: 'checkout' }, services: { payments: x }, ttl: '2h', fallbackOnUnhealthy: true });
  await mesh.api('PUT', '/v1/lanes/pr-42', { owner: 'ci', labels: { pr: '42' }, services: { frontend: x }, ttl: '9m' });
  const browser = await launchBrowser({ width: 1100, height: 640 });
  const page = await browser.newPage();
  mkdirSync(OUT, { recursive: true });
  const shot = async (name: string, hash: string, ready: () => Promise<unknown>) => {
    await page.goto('about:blank');
    await page.goto(`${mesh.apiUrl}/ui/#/${hash}`);
    await ready();
    const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (serious.length > 0) console.warn(name, serious);
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    console.log(`wrote docs/screenshots/${name}.png`);
  };
  try {
    await shot('lanes', 'lanes', () => page.locator('tr[data-lane="pr-42"]').waitFor());
    await shot('matrix', 'matrix', async () => {
      await page.locator('tr[data-lane="feature-x-fix"] td[data-service="orders"]').click();
      await page.locator('.explain .reason').waitFor();
    });
    await shot('proxies', 'proxies', () => page.locator('table.proxies tbody tr').first().waitFor());
    await shot('preview-links', 'lane/feature-x', () => page.locator('table.links').waitFor());
    await page.setViewportSize({ width: 390, height: 640 });
    await shot('lanes-narrow', 'lanes', () => page.locator('tr[data-lane="pr-42"]').waitFor());
  } finally {
    await browser.close();
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
