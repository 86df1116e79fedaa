// Explain over a model with chained lanes: the chain walked, the winner and why, the route in the
// translated sidecar config, and where each definition came from (store or YAML file).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { explain, UnknownServiceError } from '../../control-plane/src/debug/explain.js';
import { definitionSources, describeSource, type SourceLookup } from '../../control-plane/src/debug/sources.js';
import { DEFAULT_SETTINGS, emptyMeshState, type MeshState } from '../../control-plane/src/model/types.js';

const service = (name: string, port: number) => ({ name, protocol: 'http' as const, port: 8080, endpoints: [`10.0.0.${port}:8080`] });

const state: MeshState = {
  settings: { ...DEFAULT_SETTINGS, laneHeader: 'X-Tag' },
  services: { frontend: service('frontend', 1), orders: service('orders', 2), payments: service('payments', 3) },
  lanes: {
    'feature-x': { name: 'feature-x', services: { orders: ['10.0.1.2:8080', '10.0.1.3:8080'] } },
    'feature-y': { name: 'feature-y', fallback: 'feature-x', services: { payments: ['10.0.2.3:8080'] } },
    'feature-z': { name: 'feature-z', fallback: 'feature-y', services: {} },
    hollow: { name: 'hollow', fallback: 'feature-x', services: { orders: [] } },
  },
};

const storeOnly: SourceLookup = async () => ({ kind: 'store' });

describe('explain', () => {
  test('chain, winner, reason, cluster and route for each case', async () => {
    const cases: Array<[string, string | undefined, string[]]> = [
      ['orders', 'feature-x', ['defined', 'feature-x', 'feature-x', 'lane feature-x has its own instance of orders', 'orders~feature-x', 'matcher x-tag = "feature-x"', '10.0.1.2:8080,10.0.1.3:8080']],
      ['orders', 'feature-z', ['defined', 'feature-z>feature-y>feature-x', 'feature-x', 'feature-z, feature-y have no instance of orders; following the fallbacks feature-z → feature-y → feature-x, feature-x has one', 'orders~feature-x', 'matcher x-tag = "feature-z"', '10.0.1.2:8080,10.0.1.3:8080']],
      ['orders', 'hollow', ['defined', 'hollow>feature-x', 'feature-x', 'hollow has no instance of orders; following the fallbacks hollow → feature-x, feature-x has one', 'orders~feature-x', 'matcher x-tag = "hollow"', '10.0.1.2:8080,10.0.1.3:8080']],
      ['payments', 'feature-z', ['defined', 'feature-z>feature-y', 'feature-y', 'feature-z has no instance of payments; following the fallbacks feature-z → feature-y, feature-y has one', 'payments~feature-y', 'matcher x-tag = "feature-z"', '10.0.2.3:8080']],
      ['frontend', 'feature-z', ['defined', 'feature-z>feature-y>feature-x>stable', 'stable', 'no lane in feature-z → feature-y → feature-x → stable has an instance of frontend: stable serves', 'frontend~stable', 'routes[0]', '10.0.0.1:8080']],
      ['orders', undefined, ['none', 'stable', 'stable', 'no lane given: the stable instance of orders serves', 'orders~stable', 'matcher on_no_match (no x-tag header)', '10.0.0.2:8080']],
      ['orders', 'nope', ['unknown', 'stable', 'stable', 'lane "nope" does not exist: stable serves', 'orders~stable', 'matcher on_no_match (x-tag "nope" not in the map)', '10.0.0.2:8080']],
      ['orders', 'Feature-X', ['invalid', 'stable', 'stable', '"Feature-X" is not a valid lane name (a DNS label), so no lane matches it: stable serves', 'orders~stable', 'matcher on_no_match (x-tag "Feature-X" not in the map)', '10.0.0.2:8080']],
    ];
    for (const [svc, lane, expected] of cases) {
      const a = await explain(state, svc, lane, storeOnly);
      const got = [a.laneStatus, a.chain.map((s) => s.lane).join('>'), a.winner, a.reason, a.cluster, a.envoy.via, a.endpoints.join(',')];
      assert.deepEqual(got, expected, `${svc} ${lane}`);
      assert.equal(a.envoy.agrees, true);
      assert.equal(a.envoy.cluster, a.cluster);
      assert.equal(a.envoy.servedBy, a.servedBy);
    }
  });

  test('each step of the chain says why it was passed over', async () => {
    const a = await explain(state, 'orders', 'hollow', storeOnly);
    assert.deepEqual(a.chain, [
      { lane: 'hollow', hasInstance: false, note: 'hollow lists orders with no endpoints (skipped); falls back to feature-x' },
      { lane: 'feature-x', hasInstance: true, note: 'feature-x overrides orders: 2 endpoints' },
    ]);
    const f = await explain(state, 'frontend', 'feature-x', storeOnly);
    assert.deepEqual(f.chain, [
      { lane: 'feature-x', hasInstance: false, note: 'feature-x does not override frontend; falls back to stable' },
      { lane: 'stable', hasInstance: true, note: 'stable instance of frontend: 1 endpoint' },
    ]);
    assert.equal(f.servedBy, 'frontend/stable');
  });

  test('an unknown service is an error', async () => {
    await assert.rejects(explain(state, 'nope', undefined, storeOnly), UnknownServiceError);
  });
});

describe('definition sources', () => {
  test('YAML wins over the store, naming the first file (in name order) that defines it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'laneway-sources-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'b-lanes.yaml'), 'kind: Lane\nname: feature-x\nservices: { orders: ["10.0.0.9:80"] }\n');
    writeFileSync(join(dir, 'a-broken.yaml'), 'kind: Nonsense\n');
    const yamlState = { services: {}, lanes: { 'feature-x': state.lanes['feature-x']!, gone: state.lanes.hollow! } };
    const store = { ...emptyMeshState(), services: state.services, lanes: { 'feature-y': state.lanes['feature-y']! } };
    const sourceOf = definitionSources({ storeState: () => store, yamlDefinitions: () => yamlState, configDir: dir });
    assert.deepEqual(await sourceOf('lanes', 'feature-x'), { kind: 'yaml', dir, file: 'b-lanes.yaml' });
    assert.deepEqual(await sourceOf('lanes', 'gone'), { kind: 'yaml', dir });
    assert.deepEqual(await sourceOf('lanes', 'feature-y'), { kind: 'store' });
    assert.deepEqual(await sourceOf('services', 'orders'), { kind: 'store' });
    assert.deepEqual(await sourceOf('lanes', 'nope'), { kind: 'unknown' });
    assert.equal(describeSource({ kind: 'yaml', dir, file: 'b-lanes.yaml' }), 'yaml b-lanes.yaml');

    const a = await explain(state, 'orders', 'feature-z', sourceOf);
    assert.deepEqual(a.source, { kind: 'yaml', dir, file: 'b-lanes.yaml' });
  });
});
