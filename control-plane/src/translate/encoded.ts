// Translation that remembers: each (service, instance) Cluster and ClusterLoadAssignment, each
// service's VirtualHost and each listener is built and encoded once per distinct input and shared
// by every proxy group that needs it; a sidecar's RouteConfiguration is spliced from its encoded
// virtual hosts. A lane write then encodes the few resources it changes, not every group's whole
// config. The output is byte for byte encodeResources(translateProxy(state, proxy)); the unit test
// translate-encoded.test.ts holds it to that over the golden cases and sequences of edits.
import { toBinary } from '@bufbuild/protobuf';
import { ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import { FieldWriter, fieldSize } from '../envoy/field-writer.js';
import { sameJson } from '../model/same-json.js';
import { STABLE, type Lane, type MeshState, type Service, type Settings } from '../model/types.js';
import { usesEds } from './cluster.js';
import { Generations } from './generations.js';
import type { EncodedResource } from './index.js';
import { InstanceEncoder } from './instance-bytes.js';
import type { Instance } from './instances.js';
import { lanesByService, type LaneIndex } from './lane-index.js';
import { listenerFor } from './listener.js';
import { byCodeUnits, clusterName, ROUTE_CONFIG_NAME } from './names.js';
import type { ProxyTarget } from './proxy.js';
import { ingressRouteConfig } from './route.js';
import { visibleServices } from './scope.js';
import { ServiceMemo } from './service-memo.js';
import { laneRoutes, VirtualHostEncoder, type LaneRoute } from './virtual-host-bytes.js';

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
  routes: readonly LaneRoute[];
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

/** Resources of one type that many proxies share whole: one service's clusters, or its endpoints. Names start with `${namespace}~`. */
export interface EncodedBundle {
  readonly typeUrl: string;
  /** The service. */
  readonly namespace: string;
  readonly resources: readonly EncodedResource[];
}

/** What a proxy needs: its own resources (listener, route configuration) and each visible service's bundles. */
export interface ProxyParts {
  resources: EncodedResource[];
  bundles: EncodedBundle[];
}

/** One service's share of every proxy that sees it, for one model. */
interface ServiceParts {
  bundles: EncodedBundle[];
  virtualHost: Uint8Array;
}

interface ServiceEntry {
  /** Its instances' entries, in cluster name order: the bundles hold exactly these. */
  instances: readonly InstanceEntry[];
  bundles: EncodedBundle[];
}

/** A frozen model cannot change: what was worked out for one proxy holds for every other. */
function isFrozenModel(state: MeshState): boolean {
  return Object.isFrozen(state) && Object.isFrozen(state.lanes) && Object.isFrozen(state.services);
}

const sameEntries = (a: readonly InstanceEntry[], b: readonly InstanceEntry[]) => a.length === b.length && a.every((entry, i) => entry === b[i]);

/** RouteConfiguration { name, virtual_hosts } written around the cached virtual hosts' bytes. */
function outboundRoutes(hosts: readonly Uint8Array[]): EncodedResource {
  const name = ROUTE_CONFIG_NAME.sidecar;
  const nameLength = Buffer.byteLength(name, 'utf8');
  const writer = new FieldWriter(Buffer.allocUnsafe(fieldSize(nameLength) + hosts.reduce((n, h) => n + fieldSize(h.byteLength), 0)));
  if (nameLength > 0) writer.string(ROUTE_CONFIG_NAME_TAG, name, nameLength);
  for (const host of hosts) writer.bytes(ROUTE_CONFIG_VIRTUAL_HOSTS_TAG, host);
  return { name, typeUrl: TYPE_URL.route, value: new Uint8Array(writer.buf.buffer, writer.buf.byteOffset, writer.pos) };
}

export class EncodedTranslator {
  private readonly instances = new Generations<InstanceEntry>();
  private readonly services = new Generations<ServiceEntry>();
  private readonly virtualHosts = new Generations<VirtualHostEntry>();
  private readonly listeners = new Generations<ListenerEntry>();
  private readonly instanceBytes = new InstanceEncoder();
  private readonly virtualHostBytes = new VirtualHostEncoder();
  /** Each service's parts in an earlier frozen model, for a later one made of the same objects. */
  private readonly servicesAcrossModels = new ServiceMemo<ServiceParts>();
  /** The last frozen model and each service's parts in it. */
  private current: { state: MeshState; services: Map<string, ServiceParts> } | undefined;
  /** How many messages were built and encoded (a hit builds nothing); for tests and benchmarks. */
  encodes = 0;
  /** How many times a service's parts were worked out (each looks at all its instances); for tests. */
  servicePartsBuilt = 0;

  /** Every resource one proxy needs, serialized: encodeResources(translateProxy(state, proxy)), from memory where it can. */
  encodeProxy(state: MeshState, proxy: ProxyTarget): EncodedResource[] {
    const { resources, bundles } = this.encodeProxyParts(state, proxy);
    const byName = (a: EncodedResource, b: EncodedResource) => byCodeUnits(a.name, b.name);
    const ofType = (typeUrl: string) => bundles.filter((b) => b.typeUrl === typeUrl).flatMap((b) => b.resources).sort(byName);
    return [...resources, ...ofType(TYPE_URL.cluster), ...ofType(TYPE_URL.endpoint)];
  }

  /**
   * The same resources, as the proxy's own (listener, route configuration) and one cluster bundle
   * and one endpoint bundle per visible service. While a service's instances are unchanged, every
   * proxy that sees it gets the very same bundle objects.
   */
  encodeProxyParts(state: MeshState, proxy: ProxyTarget): ProxyParts {
    const index = lanesByService(state);
    const services = visibleServices(state, proxy);
    const parts = services.map((service) => this.serviceParts(state, service, index));
    const route = proxy.kind === 'ingress'
      ? this.ingressRoutes(state, index)
      : outboundRoutes(parts.map((p) => p.virtualHost));
    return { resources: [this.listener(state, proxy), route], bundles: parts.flatMap((p) => p.bundles) };
  }

  private serviceParts(state: MeshState, service: string, index: LaneIndex): ServiceParts {
    // Object.isFrozen walks every key of a large record: asked once per model, not per service.
    if (this.current?.state !== state) {
      if (!isFrozenModel(state)) return this.buildServiceParts(state, service, index);
      this.current = { state, services: new Map() };
    }
    let parts = this.current.services.get(service);
    if (!parts) {
      parts = this.servicesAcrossModels.get(state, index, service);
      if (!parts) this.servicesAcrossModels.set(state, index, service, (parts = this.buildServiceParts(state, service, index)));
      this.current.services.set(service, parts);
    }
    return parts;
  }

  private buildServiceParts(state: MeshState, service: string, index: LaneIndex): ServiceParts {
    this.servicePartsBuilt++;
    const entries = instancesOf(state, [service], index).map((instance) => this.instance(instance));
    let entry = this.services.get(service);
    if (!entry || !sameEntries(entry.instances, entries)) {
      const endpoints = entries.flatMap((e) => (e.endpointsResource ? [e.endpointsResource] : []));
      const bundles: EncodedBundle[] = [{ typeUrl: TYPE_URL.cluster, namespace: service, resources: entries.map((e) => e.cluster) }];
      if (endpoints.length > 0) bundles.push({ typeUrl: TYPE_URL.endpoint, namespace: service, resources: endpoints });
      entry = { instances: entries, bundles };
      this.services.set(service, entry);
    }
    return { bundles: entry.bundles, virtualHost: this.virtualHost(state, service, index) };
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
    const routes = laneRoutes(slice, service);
    const definition = state.services[service]!;
    const cached = this.virtualHosts.get(service);
    if (cached && sameInput(cached.settings, state.settings) && sameInput(cached.service, definition) && sameJson(cached.routes, routes)) {
      return cached.bytes;
    }
    this.encodes++;
    const bytes = this.virtualHostBytes.virtualHost(slice, service, routes);
    this.virtualHosts.set(service, { settings: state.settings, service: definition, routes, bytes });
    return bytes;
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
