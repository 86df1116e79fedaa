// Translation that remembers: each (service, instance) Cluster and ClusterLoadAssignment, each
// service's VirtualHost and each listener is built and encoded once per distinct input and shared
// by every proxy group that needs it; a sidecar's RouteConfiguration is spliced from its encoded
// virtual hosts. A lane write then encodes the few resources it changes, not every group's whole
// config. The output is byte for byte encodeResources(translateProxy(state, proxy)); the unit test
// translate-encoded.test.ts holds it to that over the golden cases and sequences of edits.
import { create, toBinary } from '@bufbuild/protobuf';
import { ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import { VirtualHostSchema } from '../envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { FieldWriter, fieldSize } from '../envoy/field-writer.js';
import { sameJson } from '../model/same-json.js';
import { STABLE, type Lane, type MeshState, type Service, type Settings } from '../model/types.js';
import { usesEds } from './cluster.js';
import { Generations } from './generations.js';
import type { EncodedResource } from './index.js';
import { InstanceEncoder } from './instance-bytes.js';
import type { Instance } from './instances.js';
import { fallsBackOnUnhealthy, laneRoutesFor } from './instances.js';
import { lanesByService, type LaneIndex } from './lane-index.js';
import { listenerFor } from './listener.js';
import { byCodeUnits, clusterName, ROUTE_CONFIG_NAME } from './names.js';
import type { ProxyTarget } from './proxy.js';
import { ingressRouteConfig, serviceVirtualHost } from './route.js';
import { visibleServices } from './scope.js';

const TYPE_URL = {
  listener: `type.googleapis.com/${ListenerSchema.typeName}`,
  route: `type.googleapis.com/${RouteConfigurationSchema.typeName}`,
  cluster: `type.googleapis.com/${ClusterSchema.typeName}`,
  endpoint: `type.googleapis.com/${ClusterLoadAssignmentSchema.typeName}`,
};

// RouteConfiguration fields (tag = field number << 3 | length-delimited): name = 1, virtual_hosts = 2.
const ROUTE_CONFIG_NAME_TAG = (1 << 3) | 2;
const ROUTE_CONFIG_VIRTUAL_HOSTS_TAG = (2 << 3) | 2;

/**
 * Same input as last time: the same frozen object (what the store hands out: it cannot have
 * changed), or equal as data. An unfrozen object seen again may have been edited in place, so it
 * is compared as data rather than trusted by identity.
 */
function sameInput(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'object' || a === null || Object.isFrozen(a);
  return sameJson(a, b);
}

interface InstanceEntry {
  service: Service;
  endpoints: string[];
  fallback: string[] | undefined;
  cluster: EncodedResource;
  endpointsResource: EncodedResource | undefined;
}

interface VirtualHostEntry {
  settings: Settings;
  service: Service;
  /** [lane, instance it reaches, whether that instance falls back to stable when unhealthy]. */
  routes: Array<[string, string, boolean]>;
  bytes: Uint8Array;
}

interface ListenerEntry {
  settings: Settings;
  resource: EncodedResource;
}

/** Only the lanes that can route `service` anywhere but stable, in name order (as laneRoutesFor sorts). */
function sliceFor(state: MeshState, lanes: readonly string[]): MeshState {
  const slice: Record<string, Lane> = {};
  for (const name of [...lanes].sort()) slice[name] = state.lanes[name]!;
  return { settings: state.settings, services: state.services, lanes: slice };
}

/** Every instance of the given services, sorted by cluster name, as allInstances lists them. */
function instancesOf(state: MeshState, services: readonly string[], index: LaneIndex): Instance[] {
  const instances: Instance[] = [];
  for (const name of services) {
    const service = state.services[name];
    if (!service) continue;
    instances.push({ name, service, instance: STABLE, cluster: clusterName(name, STABLE), endpoints: service.endpoints });
    for (const lane of index.get(name) ?? []) {
      const definition = state.lanes[lane]!;
      if (lane === STABLE || !Object.hasOwn(definition.services, name)) continue;
      const instance: Instance = { name, service, instance: lane, cluster: clusterName(name, lane), endpoints: definition.services[name]! };
      instances.push(definition.fallbackOnUnhealthy === true ? { ...instance, fallback: service.endpoints } : instance);
    }
  }
  return instances.sort((a, b) => byCodeUnits(a.cluster, b.cluster));
}

export class EncodedTranslator {
  private readonly instances = new Generations<InstanceEntry>();
  private readonly virtualHosts = new Generations<VirtualHostEntry>();
  private readonly listeners = new Generations<ListenerEntry>();
  private readonly instanceBytes = new InstanceEncoder();
  /** How many messages were built and encoded (a hit builds nothing); for tests and benchmarks. */
  encodes = 0;

  /** Every resource one proxy needs, serialized: encodeResources(translateProxy(state, proxy)), from memory where it can. */
  encodeProxy(state: MeshState, proxy: ProxyTarget): EncodedResource[] {
    const index = lanesByService(state);
    const services = visibleServices(state, proxy);
    const route = proxy.kind === 'ingress' ? this.ingressRoutes(state, index) : this.outboundRoutes(state, services, index);
    const clusters: EncodedResource[] = [];
    const endpoints: EncodedResource[] = [];
    for (const instance of instancesOf(state, services, index)) {
      const entry = this.instance(instance);
      clusters.push(entry.cluster);
      if (entry.endpointsResource) endpoints.push(entry.endpointsResource);
    }
    return [this.listener(state, proxy), route, ...clusters, ...endpoints];
  }

  private listener(state: MeshState, proxy: ProxyTarget): EncodedResource {
    const key = `${proxy.kind}\n${proxy.listenerAddress}\n${proxy.listenerPort}`;
    const cached = this.listeners.get(key);
    if (cached && sameInput(cached.settings, state.settings)) return cached.resource;
    const listener = listenerFor(state, proxy);
    this.encodes++;
    const resource = { name: listener.name, typeUrl: TYPE_URL.listener, value: toBinary(ListenerSchema, listener) };
    this.listeners.set(key, { settings: state.settings, resource });
    return resource;
  }

  private instance(instance: Instance): InstanceEntry {
    const key = instance.cluster;
    const cached = this.instances.get(key);
    if (cached && sameInput(cached.service, instance.service) && sameInput(cached.endpoints, instance.endpoints) && sameInput(cached.fallback, instance.fallback)) {
      return cached;
    }
    this.encodes++;
    const cluster = { name: key, typeUrl: TYPE_URL.cluster, value: this.instanceBytes.cluster(instance) };
    const endpointsResource = usesEds(instance)
      ? { name: key, typeUrl: TYPE_URL.endpoint, value: this.instanceBytes.loadAssignment(instance) }
      : undefined;
    const entry = { service: instance.service, endpoints: instance.endpoints, fallback: instance.fallback, cluster, endpointsResource };
    this.instances.set(key, entry);
    return entry;
  }

  private virtualHost(state: MeshState, service: string, index: LaneIndex): Uint8Array {
    const slice = sliceFor(state, index.get(service) ?? []);
    const routes = laneRoutesFor(slice, service).map(([lane, instance]): [string, string, boolean] => [lane, instance, fallsBackOnUnhealthy(slice, instance)]);
    const definition = state.services[service]!;
    const cached = this.virtualHosts.get(service);
    if (cached && sameInput(cached.settings, state.settings) && sameInput(cached.service, definition) && sameJson(cached.routes, routes)) {
      return cached.bytes;
    }
    this.encodes++;
    const bytes = toBinary(VirtualHostSchema, create(VirtualHostSchema, serviceVirtualHost(slice, service)));
    this.virtualHosts.set(service, { settings: state.settings, service: definition, routes, bytes });
    return bytes;
  }

  /** RouteConfiguration { name, virtual_hosts } written around the cached virtual hosts' bytes. */
  private outboundRoutes(state: MeshState, services: readonly string[], index: LaneIndex): EncodedResource {
    const name = ROUTE_CONFIG_NAME.sidecar;
    const hosts = services.map((service) => this.virtualHost(state, service, index));
    const nameLength = Buffer.byteLength(name, 'utf8');
    const writer = new FieldWriter(Buffer.allocUnsafe(fieldSize(nameLength) + hosts.reduce((n, h) => n + fieldSize(h.byteLength), 0)));
    if (nameLength > 0) writer.string(ROUTE_CONFIG_NAME_TAG, name, nameLength);
    for (const host of hosts) writer.bytes(ROUTE_CONFIG_VIRTUAL_HOSTS_TAG, host);
    return { name, typeUrl: TYPE_URL.route, value: new Uint8Array(writer.buf.buffer, writer.buf.byteOffset, writer.pos) };
  }

  /** The ingress routes to the entry service only: built from the lanes that reach it. */
  private ingressRoutes(state: MeshState, index: LaneIndex): EncodedResource {
    const entry = state.settings.entryService;
    const slice = sliceFor(state, entry === undefined ? [] : (index.get(entry) ?? []));
    const routes = ingressRouteConfig(slice);
    this.encodes++;
    return { name: routes.name, typeUrl: TYPE_URL.route, value: toBinary(RouteConfigurationSchema, routes) };
  }
}
