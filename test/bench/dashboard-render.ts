// Dashboard render time (`npm run bench:dashboard`): how long the Lanes page and the lane x service
// matrix take to show their first page in a real headless Chromium, with 1,000 lanes x 200 services
// served by the real API (in this process), and the size of the bundle. A report, not a test.
//
// Each measurement is a fresh load of the page (about:blank first): from navigation start to the
// frame after the table's rows are in the DOM (50 lanes; 25 lanes x 200 services = 5,000 matrix cells).
// Also timed: the API answers the pages read, and moving to the next matrix page.
// Env: LANEWAY_BENCH_ROUNDS (7). Writes test/bench/results/dashboard-render-<date>.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { registerDashboard } from '../../control-plane/src/api/dashboard.js';
import { buildApi } from '../../control-plane/src/api/server.js';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import type { Lane, MeshState, Service } from '../../control-plane/src/model/types.js';
import { FileStore } from '../../control-plane/src/sources/store.js';
import { ProxyStatusRegistry } from '../../control-plane/src/xds/proxy-status.js';
// @ts-expect-error a plain .mjs script without type declarations
import { buildUi } from '../../scripts/build-ui.mjs';
import { launchBrowser } from '../support/browser.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LANES = 1000;
const SERVICES = 200;
const ROUNDS = Number(process.env.LANEWAY_BENCH_ROUNDS ?? 7);
const GOAL_MS = 1000;

/** 200 services; 1,000 lanes each overriding 3 services, every fifth falling back to the lane before it. */
function benchState(): MeshState {
  const services: Record<string, Service> = {};
  for (let s = 0; s < SERVICES; s++) {
    const name = `svc-${String(s).padStart(3, '0')}`;
    services[name] = { name, protocol: 'http', port: 8080, endpoints: [`10.0.${s >> 8}.${s & 255}:8080`] };
  }
  const lanes: Record<string, Lane> = {};
  for (let l = 0; l < LANES; l++) {
    const name = `lane-${String(l).padStart(4, '0')}`;
    const overrides = [0, 1, 2].map((k) => `svc-${String((l * 7 + k * 61) % SERVICES).padStart(3, '0')}`);
    lanes[name] = {
      name, owner: `owner-${l % 40}`, labels: { team: `team-${l % 12}` },
      services: Object.fromEntries(overrides.map((s, k) => [s, [`10.1.${l >> 8}.${(l + k) & 255}:8080`]])),
      expiresAt: new Date(Date.now() + (l + 1) * 60_000).toISOString(),
      ...(l % 5 === 4 && { fallback: `lane-${String(l - 1).padStart(4, '0')}` }),
    };
  }
  return deepFreeze({ settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' }, services, lanes });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);

async function timeApi(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const text = await (await fetch(url)).text();
  return { ms: performance.now() - started, bytes: Buffer.byteLength(text) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-bench-dashboard-'));
  const sizes = await buildUi(join(dir, 'ui'));
  const state = benchState();
  const store = await FileStore.open(join(dir, 'data'));
  const app = buildApi({ store, getState: () => state, ready: () => true, logger: pino({ level: 'silent' }), plugins: [(a) => registerDashboard(a, { getState: () => state, status: new ProxyStatusRegistry(), uiDir: sizes.outDir })] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const browser = await launchBrowser();
  const page = await browser.newPage();
  const firstRender = async (hash: string, selector: string, rows: number): Promise<number> => {
    await page.goto('about:blank');
    await page.goto(`${base}/ui/#/${hash}`, { waitUntil: 'commit' });
    await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel as string).length >= (n as number), [selector, rows], { polling: 'raf', timeout: 30000 });
    // After the frame that shows them: the next animation frame, then a task (the paint is done by then).
    return page.evaluate(() => new Promise<number>((done) => requestAnimationFrame(() => setTimeout(() => done(performance.now())))));
  };
  const lanes: number[] = [];
  const matrix: number[] = [];
  const nextPage: number[] = [];
  const apiLanes: number[] = [];
  const apiMatrix: number[] = [];
  let lanesBytes = 0;
  let matrixBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    lanes.push(await firstRender('lanes', 'table.lanes tbody tr', 50));
    matrix.push(await firstRender('matrix', 'table.matrix tbody td[data-service]', 25 * SERVICES));
    const started = performance.now();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('tr[data-lane="lane-0025"]').waitFor();
    nextPage.push(performance.now() - started);
    const a = await timeApi(`${base}/v1/lanes`);
    const m = await timeApi(`${base}/v1/matrix?offset=0&limit=25`);
    apiLanes.push(a.ms);
    apiMatrix.push(m.ms);
    [lanesBytes, matrixBytes] = [a.bytes, m.bytes];
  }
  await browser.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });

  const row = (what: string, xs: number[]) => `| ${what} | ${median(xs).toFixed(0)} | ${max(xs).toFixed(0)} |`;
  const verdict = (xs: number[]) => (median(xs) < GOAL_MS ? 'met' : 'NOT met');
  const date = new Date().toISOString().slice(0, 10);
  const report = `# Dashboard render time, ${date}

\`npm run bench:dashboard\` (test/bench/dashboard-render.ts): ${LANES.toLocaleString('en')} lanes × ${SERVICES} services served by the
real API in-process, Debian's Chromium headless through playwright-core, ${ROUNDS} fresh loads of each page.
Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), shared with other work; Node ${process.version}.

Time to first render: navigation start to the frame after the first page of rows is in the DOM (Lanes: 50 lanes;
matrix: 25 lanes × 200 services = 5,000 cells). Goal: under ${GOAL_MS} ms.

| measurement (ms) | median | max |
| --- | --- | --- |
${row('Lanes page, first render', lanes)}
${row('Matrix page, first render', matrix)}
${row('Matrix, next page (click to rows shown)', nextPage)}
${row(`API GET /v1/lanes (all ${LANES} lanes, ${(lanesBytes / 1024).toFixed(0)} KiB)`, apiLanes)}
${row(`API GET /v1/matrix (25 lanes × ${SERVICES}, ${(matrixBytes / 1024).toFixed(0)} KiB)`, apiMatrix)}

Goal: Lanes page ${verdict(lanes)}, matrix ${verdict(matrix)}.

Bundle (esbuild, minified; Preact + htm included): ${sizes.js.file} ${(sizes.js.bytes / 1024).toFixed(1)} KiB
(${(sizes.js.gzip / 1024).toFixed(1)} KiB gzip), ${sizes.css.file} ${(sizes.css.bytes / 1024).toFixed(1)} KiB (${(sizes.css.gzip / 1024).toFixed(1)} KiB gzip),
index.html ${sizes.html.bytes} B.
`;
  const out = join(ROOT, 'test/bench/results', `dashboard-render-${date}.md`);
  mkdirSync(join(ROOT, 'test/bench/results'), { recursive: true });
  writeFileSync(out, report);
  console.log(report);
  console.log(`wrote ${out}`);
}

await main();
