// The one place translation is remembered. The publisher asks here for a proxy's resources; every
// miss calls the translator's own functions (the ones the golden files pin) and encodes what they
// return, so the result is always encodeResources(translateProxy(state, proxy)). Clusters, load
// assignments, virtual hosts and lane routes, the bulk of a rebuild, are encoded from the
// translator's init shapes by the encoders generated from the .proto files at build time
// (envoy/generated/encoders.ts, scripts/generate-encoders.mjs; byte-identical to
// toBinary(create(schema, init)), docs/adr/0016-generated-encoder.md); the rest by toBinary.
// Memos are keyed on the identity of frozen model objects (the store and the merge deep-freeze
// what they hand out, model/deep-freeze.ts): a frozen object seen again is the same input. They
// live in WeakMaps keyed by those objects, so what a gone lane or service made goes with it.
// An unfrozen model (tests, tools) is translated afresh on every call.
import { toBinary } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import { appendRepeated } from '../envoy/append-repeated.js';
import { encodeCluster, encodeClusterLoadAssignment, encodeRoute, encodeVirtualHost } from '../envoy/generated/encoders.js';
import { ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteSchema } from '../envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import { laneSlice, lanesByService, type LaneIndex } from '../model/lane-index.js';
import { STABLE, type Lane, type MeshState, type Service, type Settings } from '../model/types.js';
import { captureResources } from './capture-listener.js';
import { clusterInit, usesEds } from './cluster.js';
import { loadAssignmentInit } from './endpoint.js';
import type { EncodedResource } from './index.js';
import { allInstances, type Instance } from './instances.js';
import { listenerFor } from './listener.js';
import type { ProxyTarget } from './proxy.js';
import { ingressRouteConfig, outboundRouteConfig, routeTo, serviceVirtualHost } from './route.js';
import { visibleServices } from './scope.js';
import { otlpCluster } from './tracing.js';

const typeUrlOf = (schema: { typeName: string }) => `type.googleapis.com/${schema.typeName}`;
const CLUSTER_TYPE = typeUrlOf(ClusterSchema);
const ENDPOINT_TYPE = typeUrlOf(ClusterLoadAssignmentSchema);
const ROUTE_TYPE = typeUrlOf(RouteSchema);

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

/** One instance's cluster and, when it uses EDS, its load assignment. */
interface InstanceParts {
  cluster: EncodedResource;
  loadAssignment: EncodedResource | undefined;
}

/** What a service's routing reads: the settings, its definition and the lanes that can route it. */
interface RoutingInputs {
  settings: Settings;
  definition: Service | undefined;
  laneNames: readonly string[];
  lanes: readonly Lane[];
}

/** A lane's route, packed, beside the frozen objects it was made from. */
interface PackedRoute {
  service: string;
  instance: string;
  settings: Settings;
  definition: Service;
  route: Any;
}

interface ServiceParts extends RoutingInputs {
  service: string;
  /** Its instances' parts, in cluster name order: the bundles hold exactly these. */
  instances: readonly InstanceParts[];
  bundles: EncodedBundle[];
  virtualHost: Uint8Array;
}

const NO_LANES: readonly string[] = [];

const definitionOf = (state: MeshState, service: string | undefined) =>
  service !== undefined && Object.hasOwn(state.services, service) ? state.services[service] : undefined;
const laneNamesOf = (index: LaneIndex, service: string | undefined) => (service === undefined ? undefined : index.get(service)) ?? NO_LANES;

function routingInputs(state: MeshState, service: string | undefined, index: LaneIndex): RoutingInputs {
  const laneNames = laneNamesOf(index, service);
  return { settings: state.settings, definition: definitionOf(state, service), laneNames, lanes: laneNames.map((name) => state.lanes[name]!) };
}

/** Whether `known` was made from the very objects `state` holds now (names compared too: the index may hand out a new array). */
function sameRoutingInputs(known: RoutingInputs, state: MeshState, service: string | undefined, index: LaneIndex): boolean {
  if (known.settings !== state.settings || known.definition !== definitionOf(state, service)) return false;
  const laneNames = laneNamesOf(index, service);
  if (laneNames.length !== known.laneNames.length) return false;
  for (let i = 0; i < laneNames.length; i++) {
    if (laneNames[i] !== known.laneNames[i] || state.lanes[laneNames[i]!] !== known.lanes[i]) return false;
  }
  return true;
}

/** Only frozen objects can be trusted to be the same input when seen again. */
function allFrozen(inputs: RoutingInputs): boolean {
  return Object.isFrozen(inputs.settings) && (inputs.definition === undefined || Object.isFrozen(inputs.definition)) && inputs.lanes.every(Object.isFrozen);
}

const sameParts = (a: readonly InstanceParts[], b: readonly InstanceParts[]) => a.length === b.length && a.every((parts, i) => parts === b[i]);

function encodeInstance(instance: Instance): InstanceParts {
  const cluster = { name: instance.cluster, typeUrl: CLUSTER_TYPE, value: encodeCluster(clusterInit(instance)) };
  if (!usesEds(instance)) return { cluster, loadAssignment: undefined };
  return { cluster, loadAssignment: { name: instance.cluster, typeUrl: ENDPOINT_TYPE, value: encodeClusterLoadAssignment(loadAssignmentInit(instance)) } };
}

function bundlesOf(service: string, instances: readonly InstanceParts[]): EncodedBundle[] {
  const loadAssignments = instances.flatMap((parts) => (parts.loadAssignment ? [parts.loadAssignment] : []));
  const bundles: EncodedBundle[] = [{ typeUrl: CLUSTER_TYPE, namespace: service, resources: instances.map((parts) => parts.cluster) }];
  if (loadAssignments.length > 0) bundles.push({ typeUrl: ENDPOINT_TYPE, namespace: service, resources: loadAssignments });
  return bundles;
}

export class TranslationMemo {
  /** Per instance, by the lane it belongs to (the service's definition for stable): its service's definition and parts. */
  private readonly instances = new WeakMap<Lane | Service, Array<{ cluster: string; definition: Service; parts: InstanceParts }>>();
  /** Per service definition: its share of every proxy that sees it. */
  private readonly services = new WeakMap<Service, ServiceParts>();
  /** Per proxy kind and address: the listener and the settings it was made from. */
  private readonly listeners = new Map<string, { settings: Settings; resource: EncodedResource }>();
  private ingress: (RoutingInputs & { resource: EncodedResource }) | undefined;
  /** Per instance's lane (the service's definition for stable): its routes, packed into Anys. */
  private readonly routes = new WeakMap<Lane | Service, PackedRoute[]>();

  /**
   * encodeResources(translateProxy(state, proxy)), as the proxy's own resources (listener, route
   * configuration) and a cluster bundle and an endpoint bundle per visible service. While a
   * service's instances are the same objects, every proxy that sees it gets the same bundle objects.
   */
  proxyParts(state: MeshState, proxy: ProxyTarget): ProxyParts {
    const index = lanesByService(state);
    const services = visibleServices(state, proxy).map((service) => this.serviceParts(state, service, index));
    const virtualHosts = services.map((parts) => parts.virtualHost);
    const routes = proxy.kind === 'ingress' ? this.ingressRoutes(state, index) : this.outboundRoutes(state, virtualHosts);
    const resources = [this.listener(state, proxy), routes, ...this.captureParts(state, proxy, virtualHosts), ...this.tracingParts(state)];
    return { resources, bundles: services.flatMap((parts) => parts.bundles) };
  }

  /**
   * What capture adds (translate/capture-listener.ts), with the capture route configuration's
   * outbound virtual hosts spliced in from their shared encodings: captureRouteConfig lists the
   * outbound hosts first, then its own.
   */
  private captureParts(state: MeshState, proxy: ProxyTarget, virtualHosts: readonly Uint8Array[]): EncodedResource[] {
    const capture = captureResources(state, proxy, outboundRouteConfig(state, []));
    if (!capture) return [];
    return [
      { name: capture.listener.name, typeUrl: typeUrlOf(ListenerSchema), value: toBinary(ListenerSchema, capture.listener) },
      { name: capture.route.name, typeUrl: typeUrlOf(RouteConfigurationSchema), value: appendRepeated(RouteConfigurationSchema, capture.route, 'virtualHosts', virtualHosts, 'start') },
      { name: capture.cluster.name, typeUrl: CLUSTER_TYPE, value: toBinary(ClusterSchema, capture.cluster) },
    ];
  }

  /** The collector's cluster when tracing is on (translate/tracing.ts). */
  private tracingParts(state: MeshState): EncodedResource[] {
    const cluster = otlpCluster(state);
    return cluster ? [{ name: cluster.name, typeUrl: CLUSTER_TYPE, value: toBinary(ClusterSchema, cluster) }] : [];
  }

  private listener(state: MeshState, proxy: ProxyTarget): EncodedResource {
    // The service too: tracing names it in the listener.
    const key = `${proxy.kind}\n${proxy.service ?? ''}\n${proxy.listenerAddress}\n${proxy.listenerPort}`;
    const known = this.listeners.get(key);
    if (known?.settings === state.settings) return known.resource;
    const listener = listenerFor(state, proxy);
    const resource = { name: listener.name, typeUrl: typeUrlOf(ListenerSchema), value: toBinary(ListenerSchema, listener) };
    if (Object.isFrozen(state.settings)) this.listeners.set(key, { settings: state.settings, resource });
    return resource;
  }

  /** The sidecar's route configuration: the translator's, with the shared virtual hosts' encodings as its virtual hosts. */
  private outboundRoutes(state: MeshState, virtualHosts: readonly Uint8Array[]): EncodedResource {
    const empty = outboundRouteConfig(state, []);
    return { name: empty.name, typeUrl: typeUrlOf(RouteConfigurationSchema), value: appendRepeated(RouteConfigurationSchema, empty, 'virtualHosts', virtualHosts) };
  }

  private serviceParts(state: MeshState, service: string, index: LaneIndex): ServiceParts {
    const definition = state.services[service]!;
    const known = this.services.get(definition);
    if (known && known.service === service && sameRoutingInputs(known, state, service, index)) return known;
    const inputs = routingInputs(state, service, index);
    const slice = laneSlice(state, [service], index);
    let instances: readonly InstanceParts[] = allInstances(slice, [service]).map((instance) => this.instanceParts(instance, slice));
    let bundles: EncodedBundle[];
    if (known && known.service === service && sameParts(known.instances, instances)) ({ instances, bundles } = known);
    else bundles = bundlesOf(service, instances);
    const virtualHost = encodeVirtualHost(serviceVirtualHost(slice, service, this.packedRoute));
    const parts = { ...inputs, service, instances, bundles, virtualHost };
    if (allFrozen(inputs)) this.services.set(definition, parts);
    return parts;
  }

  private instanceParts(instance: Instance, state: MeshState): InstanceParts {
    const owner = instance.instance === STABLE ? instance.service : state.lanes[instance.instance]!;
    const known = this.instances.get(owner);
    const at = known ? known.findIndex((entry) => entry.cluster === instance.cluster) : -1;
    const hit = known?.[at];
    if (hit && hit.definition === instance.service) return hit.parts;
    const parts = encodeInstance(instance);
    if (!Object.isFrozen(owner) || !Object.isFrozen(instance.service)) return parts;
    const entry = { cluster: instance.cluster, definition: instance.service, parts };
    if (!known) this.instances.set(owner, [entry]);
    else known.splice(at < 0 ? known.length : at, 1, entry);
    return parts;
  }

  /**
   * routeTo packed into an Any, for serviceVirtualHost; the same object again while its inputs are
   * the same frozen objects. Packing a route is most of what a lane costs in a virtual host, which is
   * rebuilt whenever any of its lanes changes.
   */
  private readonly packedRoute = (state: MeshState, service: string, instance: string): Any => {
    const { settings } = state;
    const definition = state.services[service]!;
    const owner = instance === STABLE ? definition : state.lanes[instance]!;
    const pack = (): Any => ({ $typeName: 'google.protobuf.Any', typeUrl: ROUTE_TYPE, value: encodeRoute(routeTo(state, service, instance)) });
    if (!Object.isFrozen(owner) || !Object.isFrozen(definition) || !Object.isFrozen(settings)) return pack();
    let known = this.routes.get(owner);
    if (!known) this.routes.set(owner, (known = []));
    const at = known.findIndex((entry) => entry.service === service && entry.instance === instance);
    const hit = known[at];
    if (hit && hit.settings === settings && hit.definition === definition) return hit.route;
    const route = pack();
    known.splice(at < 0 ? known.length : at, 1, { service, instance, settings, definition, route });
    return route;
  };

  /** The ingress routes to the entry service only: made from the lanes that can route it. */
  private ingressRoutes(state: MeshState, index: LaneIndex): EncodedResource {
    const entry = state.settings.entryService;
    if (this.ingress && sameRoutingInputs(this.ingress, state, entry, index)) return this.ingress.resource;
    const inputs = routingInputs(state, entry, index);
    const routes = ingressRouteConfig(laneSlice(state, entry === undefined ? [] : [entry], index));
    const resource = { name: routes.name, typeUrl: typeUrlOf(RouteConfigurationSchema), value: toBinary(RouteConfigurationSchema, routes) };
    this.ingress = allFrozen(inputs) ? { ...inputs, resource } : undefined;
    return resource;
  }
}
