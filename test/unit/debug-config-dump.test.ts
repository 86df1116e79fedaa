// Our config dump in Envoy's /config_dump shape, and the diff against an Envoy dump: formatting,
// per-resource versions and Envoy's rebuilt EDS view do not count; missing, extra and changed do.
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, test } from 'node:test';
import { configDumpJson, type DumpInput } from '../../control-plane/src/debug/config-dump.js';
import { diffConfigDumps } from '../../control-plane/src/debug/diff.js';
import { ClusterSchema, Cluster_DiscoveryType } from '../../control-plane/src/envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { SnapshotCache, type CachedResource, type ResourceInput } from '../../control-plane/src/xds/cache.js';
import { endpoints, listener } from '../support/xds-fixtures.js';
import type { SentConfig } from '../../control-plane/src/xds/proxy-status.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const AT = Date.UTC(2030, 0, 1);

function edsCluster(name: string): ResourceInput {
  const c = create(ClusterSchema, { name, connectTimeout: { seconds: 1n }, clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS } });
  return { name, typeUrl: CDS, value: toBinary(ClusterSchema, c) };
}

function cached(inputs: ResourceInput[], typeUrl: string): CachedResource[] {
  const cache = new SnapshotCache();
  cache.setSnapshot('g', inputs);
  return [...cache.getSnapshot('g')!.types.get(typeUrl)!.resources.values()];
}

const sent = (version: string, resources: CachedResource[]): SentConfig => ({ version, nonce: `n-${version}`, resources, at: AT });

const clusters = cached([edsCluster('orders~stable')], CDS);
const loads = cached([endpoints('orders~stable', 8080)], EDS);
const listeners = cached([listener('outbound'), listener('laneway-test-fault')], LDS);
const goodListeners = listeners.filter((l) => l.name === 'outbound');

const input: DumpInput = {
  clusters: { shown: sent('c1', clusters), acked: sent('c1', clusters) },
  endpoints: { shown: sent('e1', loads), acked: sent('e1', loads) },
  listeners: { shown: sent('l2', listeners), acked: sent('l1', goodListeners), nackError: 'malformed IP address', nackedVersion: 'l2' },
};

/** What Envoy 1.40's /config_dump?include_eds prints for the same config, fault rejected. */
const envoyDump = {
  configs: [
    { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: {} },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      version_info: 'c1',
      static_clusters: [{ cluster: { '@type': CDS, name: 'laneway_xds', type: 'STRICT_DNS' } }],
      dynamic_active_clusters: [{
        version_info: 'c0', // Envoy keeps the version a cluster last changed in
        cluster: { '@type': CDS, name: 'orders~stable', type: 'EDS', connect_timeout: '1.000s' },
        last_updated: '2030-01-01T00:00:01Z',
      }],
    },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
      dynamic_endpoint_configs: [{
        endpoint_config: {
          '@type': EDS,
          cluster_name: 'orders~stable',
          endpoints: [{
            locality: {},
            lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8080 } }, health_check_config: {} }, health_status: 'HEALTHY', load_balancing_weight: 1 }],
            load_balancing_weight: 0,
          }],
          policy: { overprovisioning_factor: 140 },
        },
      }],
    },
    {
      '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      version_info: 'l1',
      dynamic_listeners: [
        { name: 'outbound', active_state: { version_info: 'l1', listener: { '@type': LDS, name: 'outbound' } } },
        { name: 'laneway-test-fault', error_state: { details: 'malformed IP address: not-an-ip', failed_configuration: { '@type': LDS, name: 'laneway-test-fault' } } },
      ],
    },
  ],
};

describe('config dump', () => {
  test("Envoy's shape: typed configs in Envoy's order, per-resource status, the rejection as error_state", () => {
    const dump = configDumpJson(input, ['clusters', 'listeners']) as any;
    // "@type" first, then fields in declaration order, as Envoy prints them.
    assert.deepEqual(Object.keys(dump.configs[0].dynamic_active_clusters[0].cluster), ['@type', 'name', 'type', 'connect_timeout']);
    assert.deepEqual(dump, {
      configs: [
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
          version_info: 'c1',
          dynamic_active_clusters: [{
            version_info: 'c1',
            cluster: { '@type': CDS, name: 'orders~stable', type: 'EDS', connect_timeout: '1s' },
            last_updated: '2030-01-01T00:00:00Z',
            client_status: 'ACKED',
          }],
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
          version_info: 'l2',
          dynamic_listeners: [
            {
              name: 'laneway-test-fault',
              active_state: { version_info: 'l2', listener: { '@type': LDS, name: 'laneway-test-fault' }, last_updated: '2030-01-01T00:00:00Z' },
              error_state: {
                failed_configuration: { '@type': LDS, name: 'laneway-test-fault' },
                last_update_attempt: '2030-01-01T00:00:00Z',
                details: 'malformed IP address',
                version_info: 'l2',
              },
              client_status: 'NACKED',
            },
            {
              name: 'outbound',
              active_state: { version_info: 'l2', listener: { '@type': LDS, name: 'outbound' }, last_updated: '2030-01-01T00:00:00Z' },
              client_status: 'ACKED',
            },
          ],
        },
      ],
    });
  });

  test('a kind never sent is present and empty', () => {
    assert.deepEqual(configDumpJson({}, ['routes']), { configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump' }] });
  });
});

describe('diff against an Envoy dump', () => {
  test('what Envoy runs as sent: no difference, whatever the formatting, versions per resource or EDS rebuilding', () => {
    const acked = { ...input, listeners: { shown: sent('l1', goodListeners), acked: sent('l1', goodListeners) } };
    assert.deepEqual(diffConfigDumps(configDumpJson(acked), envoyDump), []);
  });

  test('a NACKed resource is missing in Envoy, with its reason; the type version differs', () => {
    const status = { listeners: { status: 'NACKED', nackError: 'Error adding/updating listener(s) laneway-test-fault: malformed IP address: not-an-ip\n' } };
    assert.deepEqual(diffConfigDumps(configDumpJson(input), envoyDump, status), [
      { kind: 'listeners', name: '', change: 'version', fields: [{ path: 'version_info', ours: 'l2', envoy: 'l1' }], note: `LDS NACKED: ${status.listeners.nackError}` },
      { kind: 'listeners', name: 'laneway-test-fault', change: 'missing in envoy', note: 'Envoy rejected it: malformed IP address: not-an-ip' },
    ]);
  });

  test('changed fields are listed by path; resources only Envoy has are reported', () => {
    const other = structuredClone(envoyDump) as any;
    other.configs[1].dynamic_active_clusters[0].cluster.connect_timeout = '2s';
    other.configs[1].dynamic_active_clusters.push({ cluster: { '@type': CDS, name: 'old~cluster' } });
    other.configs[2].dynamic_endpoint_configs[0].endpoint_config.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 9090;
    const ours = configDumpJson(input, ['clusters', 'endpoints']);
    assert.deepEqual(diffConfigDumps(ours, other), [
      { kind: 'clusters', name: 'old~cluster', change: 'only in envoy' },
      { kind: 'clusters', name: 'orders~stable', change: 'different', fields: [{ path: 'connect_timeout', ours: '1s', envoy: '2s' }] },
      { kind: 'endpoints', name: 'orders~stable', change: 'different', fields: [{ path: 'endpoints[0].address', ours: '127.0.0.1:8080', envoy: '127.0.0.1:9090' }] },
    ]);
  });
});
