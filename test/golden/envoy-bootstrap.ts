// Bootstraps that let `envoy --mode validate` judge translated resources without a control plane.
import { clone, create } from '@bufbuild/protobuf';
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envoyJson } from '../../control-plane/src/envoy/registry.js';
import { BootstrapSchema } from '../../control-plane/src/envoy/generated/envoy/config/bootstrap/v3/bootstrap_pb.js';
import { Cluster_DiscoveryType, ClusterSchema, type Cluster } from '../../control-plane/src/envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ListenerSchema, type Listener } from '../../control-plane/src/envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { HttpConnectionManagerSchema } from '../../control-plane/src/envoy/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { EnvoyResources } from '../../control-plane/src/translate/index.js';
import { resourcesToJson } from '../../control-plane/src/translate/render.js';

export const ENVOY = process.env.LANEWAY_ENVOY_BIN ?? 'envoy';

/** Listener with its RDS reference replaced by the route configuration it names. */
function inlineRoutes(listener: Listener, resources: EnvoyResources): Listener {
  const out = clone(ListenerSchema, listener);
  for (const chain of out.filterChains) {
    for (const filter of chain.filters) {
      if (filter.configType.case !== 'typedConfig') continue;
      const hcm = anyUnpack(filter.configType.value, HttpConnectionManagerSchema);
      if (!hcm || hcm.routeSpecifier.case !== 'rds') continue;
      const name = hcm.routeSpecifier.value.routeConfigName;
      const routeConfig = resources.routes.find((r) => r.name === name);
      if (!routeConfig) throw new Error(`listener ${listener.name}: no route configuration ${name}`);
      hcm.routeSpecifier = { case: 'routeConfig', value: routeConfig };
      filter.configType.value = anyPack(HttpConnectionManagerSchema, hcm);
    }
  }
  return out;
}

/** EDS cluster turned STATIC with its ClusterLoadAssignment inline; other clusters unchanged. */
function inlineEndpoints(cluster: Cluster, resources: EnvoyResources): Cluster {
  const out = clone(ClusterSchema, cluster);
  if (out.clusterDiscoveryType.case !== 'type' || out.clusterDiscoveryType.value !== Cluster_DiscoveryType.EDS) return out;
  const assignment = resources.endpoints.find((e) => e.clusterName === cluster.name);
  if (!assignment) throw new Error(`cluster ${cluster.name}: no ClusterLoadAssignment`);
  out.clusterDiscoveryType = { case: 'type', value: Cluster_DiscoveryType.STATIC };
  out.edsClusterConfig = undefined;
  out.loadAssignment = assignment;
  return out;
}

/** Everything static: Envoy checks each route's cluster exists and each endpoint is an address. */
export function staticBootstrap(resources: EnvoyResources): string {
  const bootstrap = create(BootstrapSchema, {
    staticResources: {
      listeners: resources.listeners.map((l) => inlineRoutes(l, resources)),
      clusters: resources.clusters.map((c) => inlineEndpoints(c, resources)),
    },
  });
  return JSON.stringify(envoyJson(BootstrapSchema, bootstrap), null, 1);
}

/** The listeners and clusters exactly as served (RDS and EDS over ADS), with an ADS to name. */
export function servedBootstrap(resources: EnvoyResources): string {
  const json = resourcesToJson(resources);
  const xds = {
    name: 'laneway_xds',
    type: 'STATIC',
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: {
      cluster_name: 'laneway_xds',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 18000 } } } }] }],
    },
  };
  return JSON.stringify({
    node: { id: 'validate', cluster: 'validate' },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'laneway_xds' } }] },
    },
    static_resources: { listeners: json.listeners, clusters: [...json.clusters, xds] },
  }, null, 1);
}

export interface ValidateResult {
  ok: boolean;
  output: string;
}

/** Runs `envoy --mode validate` on a bootstrap (JSON text); ok when Envoy exits 0. */
export async function envoyValidate(bootstrap: string): Promise<ValidateResult> {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-validate-'));
  try {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, bootstrap);
    const args = ['--mode', 'validate', '-c', file, '--disable-hot-restart', '-l', 'error'];
    return await new Promise((resolve) => {
      execFile(ENVOY, args, { encoding: 'utf8', timeout: 30000 }, (err, stdout, stderr) => {
        resolve({ ok: err === null, output: `${stdout}${stderr}`.trim() });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
