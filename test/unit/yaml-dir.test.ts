import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { watchYamlDir, type YamlDefinitions, type YamlDirWatch } from '../../control-plane/src/sources/yaml-dir.js';

const ORDERS = `kind: Service
name: orders
protocol: http
port: 8080
endpoints: [10.0.0.1:8080]
---
kind: Service
name: payments
protocol: grpc
port: 9090
`;

const LANES = `# feature lanes
kind: Lane
name: feature-x
services:
  orders: [10.1.0.1:8080]
---
kind: Lane
name: feature-y
fallback: feature-x
description: chained
---
kind: Settings
laneHeader: tag
`;

const FEATURE_X = { name: 'feature-x', services: { orders: ['10.1.0.1:8080'] } };
const FEATURE_Y = { name: 'feature-y', fallback: 'feature-x', services: {}, description: 'chained' };

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('watchYamlDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-yaml-'));
  const states: YamlDefinitions[] = [];
  const errors: Array<[string, string]> = [];
  const last = () => states[states.length - 1]!;
  let watcher: YamlDirWatch;

  before(async () => {
    writeFileSync(join(dir, 'services.yaml'), ORDERS);
    writeFileSync(join(dir, 'lanes.yml'), LANES);
    writeFileSync(join(dir, 'notes.txt'), 'not a definition file');
    writeFileSync(join(dir, '.hidden.yaml'), 'kind: Nonsense');
    watcher = await watchYamlDir(dir, (s) => states.push(s), (file, message) => errors.push([file, message]));
  });

  after(() => {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('loads every document of every yaml file before resolving', () => {
    assert.equal(states.length, 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(last(), {
      services: {
        orders: { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] },
        payments: { name: 'payments', protocol: 'grpc', port: 9090, endpoints: [] },
      },
      lanes: { 'feature-x': FEATURE_X, 'feature-y': FEATURE_Y },
      settings: { laneHeader: 'tag', servedByHeader: 'x-lane-served-by' },
    });
  });

  test('reloads when a file changes, including an editor-style rename over it', async () => {
    writeFileSync(join(dir, 'lanes.yml'), LANES.replace('10.1.0.1:8080', '10.1.0.2:8080'));
    await until('the edit', () => last().lanes['feature-x']?.services.orders?.[0] === '10.1.0.2:8080');
    writeFileSync(join(dir, '.lanes.yml.swp'), LANES.replace('10.1.0.1:8080', '10.1.0.3:8080'));
    renameSync(join(dir, '.lanes.yml.swp'), join(dir, 'lanes.yml'));
    await until('the renamed file', () => last().lanes['feature-x']?.services.orders?.[0] === '10.1.0.3:8080');
    assert.deepEqual(errors, []);
  });

  test('an invalid file is reported with its field path and its last good content stays', async () => {
    const count = states.length;
    writeFileSync(join(dir, 'lanes.yml'), LANES.replace('10.1.0.1:8080', 'not-an-endpoint').replace('description: chained', 'colour: red'));
    await until('the error', () => errors.length > 0);
    assert.deepEqual(errors, [[
      'lanes.yml',
      'lanes/feature-x/services/orders/0: "not-an-endpoint" is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535); ' +
        'lanes/feature-y/colour: unknown field (allowed: name, fallback, services, owner, description, labels, expiresAt, fallbackOnUnhealthy, forks); keeping its last good content',
    ]]);
    assert.equal(states.length, count, 'nothing new emitted');
    assert.deepEqual(last().lanes['feature-x'], { name: 'feature-x', services: { orders: ['10.1.0.3:8080'] } });
    errors.length = 0;
    writeFileSync(join(dir, 'broken.yaml'), 'kind: Lane\nname: [unclosed\n');
    await until('the YAML error', () => errors.length > 0);
    assert.equal(errors[0]![0], 'broken.yaml');
    assert.match(errors[0]![1], /^document 1: not valid YAML: /);
    unlinkSync(join(dir, 'broken.yaml'));
  });

  test('a name defined by two files: the first file wins and the second is reported', async () => {
    errors.length = 0;
    writeFileSync(join(dir, 'zz-extra.yaml'), 'kind: Service\nname: orders\nprotocol: http\nport: 1\n---\nkind: Service\nname: carts\nprotocol: http\nport: 2\n');
    await until('carts', () => last().services.carts !== undefined);
    assert.equal(last().services.orders?.port, 8080);
    assert.deepEqual(errors, [['zz-extra.yaml', 'services/orders: already defined in services.yaml; ignoring this definition']]);
  });

  test('a removed file takes its definitions with it', async () => {
    unlinkSync(join(dir, 'zz-extra.yaml'));
    await until('carts to go', () => last().services.carts === undefined);
    unlinkSync(join(dir, 'lanes.yml'));
    await until('the lanes to go', () => Object.keys(last().lanes).length === 0);
    assert.equal(last().settings, undefined);
  });
});
