// The wired control plane with --config-dir: YAML definitions are served, edits are picked up,
// and an invalid file is reported while its last good content stays in effect.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { startControlPlane, type RunningControlPlane } from '../../control-plane/src/runtime/control-plane.js';
import { waitFor } from '../../deploy/local/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'laneway-cp-'));
const configDir = join(dir, 'conf');
let cp: RunningControlPlane;

const SERVICES = `kind: Service
name: orders
protocol: http
port: 8080
endpoints: ["127.0.0.1:3001"]
`;

async function lanes(): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${cp.apiPort}/v1/lanes`);
  return ((await res.json()) as { items: Array<{ name: string }> }).items.map((l) => l.name);
}

before(async () => {
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'services.yaml'), SERVICES);
  writeFileSync(join(configDir, 'lanes.yaml'), 'kind: Lane\nname: feature-x\nservices:\n  orders: ["127.0.0.1:3002"]\n');
  cp = await startControlPlane(
    { dataDir: join(dir, 'data'), apiPort: 0, xdsPort: 0, host: '127.0.0.1', configDir, logLevel: 'silent' },
    pino({ level: 'silent' }),
  );
});

after(async () => {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

test('definitions from the config dir are served', async () => {
  assert.deepEqual(await lanes(), ['feature-x']);
});

test('an edited file is reloaded', async () => {
  writeFileSync(join(configDir, 'lanes.yaml'), 'kind: Lane\nname: feature-x\nservices:\n  orders: ["127.0.0.1:3002"]\n---\nkind: Lane\nname: feature-y\nfallback: feature-x\n');
  await waitFor('feature-y to appear', async () => (await lanes()).includes('feature-y'), 5000);
  assert.deepEqual(await lanes(), ['feature-x', 'feature-y']);
});

test('an invalid file keeps its last good content', async () => {
  writeFileSync(join(configDir, 'lanes.yaml'), 'kind: Lane\nname: feature-x\nfallback: nowhere\nservices:\n  orders: ["not-an-endpoint"]\n');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await lanes(), ['feature-x', 'feature-y']);
});

test('GET /metrics counts the publishes: at least the start and the reload', async () => {
  const text = await (await fetch(`http://127.0.0.1:${cp.apiPort}/metrics`)).text();
  assert.match(text, /^# TYPE laneway_snapshot_publish_seconds histogram$/m);
  // How many file events a write makes, and so how many publishes, is up to the file watcher.
  const count = Number(/^laneway_snapshot_publish_seconds_count (\d+)$/m.exec(text)?.[1]);
  assert.ok(count >= 2, `publishes counted: ${count}`);
});
