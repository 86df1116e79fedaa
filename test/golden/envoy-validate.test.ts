// Every golden case, for every proxy, must be accepted by the real Envoy: once with routes and
// endpoints inlined (so Envoy checks every route's cluster and every endpoint address), once
// exactly as served over ADS. Negative controls prove the harness can fail.
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { describe, test } from 'node:test';
import { Cluster_DiscoveryType } from '../../control-plane/src/envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { translateProxy } from '../../control-plane/src/translate/index.js';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import { loadCases } from './cases.js';
import { envoyValidate, servedBootstrap, staticBootstrap } from './envoy-bootstrap.js';

for (const c of loadCases()) {
  describe(`envoy validates ${c.name}`, () => {
    for (const proxy of c.proxies) {
      const resources = translateProxy(c.state, proxy.target);
      test(`${proxy.name}: static (routes and endpoints inline)`, async () => {
        const result = await envoyValidate(staticBootstrap(resources));
        assert.ok(result.ok, result.output);
      });
      test(`${proxy.name}: as served (RDS and EDS over ADS)`, async () => {
        const result = await envoyValidate(servedBootstrap(resources));
        assert.ok(result.ok, result.output);
      });
    }
  });
}

describe('negative controls: the harness rejects broken config', () => {
  const demo = loadCases().find((c) => c.name === 'demo');
  const dns = loadCases().find((c) => c.name === 'dns-endpoints');
  assert.ok(demo && dns, 'golden cases demo and dns-endpoints exist');

  test('a route to an undefined cluster', async () => {
    const resources = translateProxy(demo.state, demo.proxies[0]!.target);
    const route = create(RouteConfigurationSchema, {
      name: 'outbound',
      virtualHosts: [{
        name: 'nowhere',
        domains: ['nowhere'],
        routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'nowhere~stable' } } } }],
      }],
    });
    const result = await envoyValidate(staticBootstrap({ ...resources, routes: [route] }));
    assert.equal(result.ok, false);
    assert.match(result.output, /nowhere~stable/);
  });

  test('a DNS-name endpoint in a STATIC (as in EDS) cluster, which is why such instances are STRICT_DNS', async () => {
    const resources = translateProxy(dns.state, dns.proxies[0]!.target);
    const orders = resources.clusters.find((cl) => cl.name === 'orders~stable');
    assert.ok(orders?.loadAssignment, 'orders~stable carries its endpoints inline');
    orders.clusterDiscoveryType = { case: 'type', value: Cluster_DiscoveryType.STATIC };
    const result = await envoyValidate(staticBootstrap(resources));
    assert.equal(result.ok, false);
    assert.match(result.output, /orders-stable\.shop\.svc\.cluster\.local/);
  });
});
