// What the control plane sent one proxy, in the shape of Envoy's admin /config_dump (ConfigDump of
// Clusters/Endpoints/Listeners/RoutesConfigDump, every Any with "@type"), so the two can be diffed.
import { create, type JsonValue } from '@bufbuild/protobuf';
import { anyPack, timestampFromDate, timestampFromMs, type Any } from '@bufbuild/protobuf/wkt';
import { ConfigDumpSchema, type ConfigDump } from '../envoy/generated/envoy/admin/v3/config_dump_pb.js';
import {
  ClientResourceStatus,
  ClustersConfigDumpSchema,
  EndpointsConfigDumpSchema,
  ListenersConfigDumpSchema,
  RoutesConfigDumpSchema,
  UpdateFailureStateSchema,
  type UpdateFailureState,
} from '../envoy/generated/envoy/admin/v3/config_dump_shared_pb.js';
import { envoyJson } from '../envoy/registry.js';
import type { SentConfig } from '../xds/proxy-status.js';
import type { CachedResource } from '../xds/snapshot.js';
import { RESOURCE_KINDS, toAny, type ResourceKind } from './resources.js';

/** One kind of one proxy: the response to list, and what tells each resource's status. */
export interface KindDump {
  shown?: SentConfig;
  acked?: SentConfig;
  nackError?: string;
  nackedVersion?: string;
}

export type DumpInput = Partial<Record<ResourceKind, KindDump>>;

interface ResourceEntry {
  name: string;
  versionInfo: string;
  any: Any;
  lastUpdated: ReturnType<typeof timestampFromDate>;
  clientStatus: ClientResourceStatus;
  errorState?: UpdateFailureState;
}

function entries(dump: KindDump | undefined): ResourceEntry[] {
  const shown = dump?.shown;
  if (!shown) return [];
  const acked = new Map(dump.acked?.resources.map((r) => [r.name, r.version]));
  const rejected = dump.nackError !== undefined && dump.nackedVersion === shown.version;
  return shown.resources.map((r: CachedResource) => {
    const any = toAny(r);
    const isAcked = acked.get(r.name) === r.version;
    const entry: ResourceEntry = {
      name: r.name,
      versionInfo: shown.version,
      any,
      lastUpdated: timestampFromMs(shown.at),
      clientStatus: isAcked ? ClientResourceStatus.ACKED : rejected ? ClientResourceStatus.NACKED : ClientResourceStatus.UNKNOWN,
    };
    if (!isAcked && rejected) {
      entry.errorState = create(UpdateFailureStateSchema, {
        failedConfiguration: any, lastUpdateAttempt: entry.lastUpdated, details: dump.nackError!, versionInfo: shown.version,
      });
    }
    return entry;
  });
}

function common(e: ResourceEntry) {
  return { versionInfo: e.versionInfo, lastUpdated: e.lastUpdated, clientStatus: e.clientStatus, ...(e.errorState && { errorState: e.errorState }) };
}

function kindAny(kind: ResourceKind, dump: KindDump | undefined): Any {
  const list = entries(dump);
  const versionInfo = dump?.shown?.version ?? '';
  switch (kind) {
    case 'clusters':
      return anyPack(ClustersConfigDumpSchema, create(ClustersConfigDumpSchema, {
        versionInfo, dynamicActiveClusters: list.map((e) => ({ ...common(e), cluster: e.any })),
      }));
    case 'endpoints':
      return anyPack(EndpointsConfigDumpSchema, create(EndpointsConfigDumpSchema, {
        dynamicEndpointConfigs: list.map((e) => ({ ...common(e), endpointConfig: e.any })),
      }));
    case 'listeners':
      return anyPack(ListenersConfigDumpSchema, create(ListenersConfigDumpSchema, {
        versionInfo,
        dynamicListeners: list.map((e) => ({
          name: e.name,
          activeState: { versionInfo: e.versionInfo, listener: e.any, lastUpdated: e.lastUpdated },
          clientStatus: e.clientStatus,
          ...(e.errorState && { errorState: e.errorState }),
        })),
      }));
    case 'routes':
      return anyPack(RoutesConfigDumpSchema, create(RoutesConfigDumpSchema, {
        dynamicRouteConfigs: list.map((e) => ({ ...common(e), routeConfig: e.any })),
      }));
  }
}

/** A ConfigDump holding the given kinds, in Envoy's order; a kind never sent is present and empty. */
export function buildConfigDump(input: DumpInput, kinds: readonly ResourceKind[] = RESOURCE_KINDS): ConfigDump {
  const wanted = RESOURCE_KINDS.filter((k) => kinds.includes(k));
  return create(ConfigDumpSchema, { configs: wanted.map((kind) => kindAny(kind, input[kind])) });
}

/** The dump as Envoy's admin endpoint prints it. */
export function configDumpJson(input: DumpInput, kinds?: readonly ResourceKind[]): JsonValue {
  return envoyJson(ConfigDumpSchema, buildConfigDump(input, kinds));
}
